# The release tarball, bpfport-<version>-<arch>-linux.tar.gz (README.md,
# "Install and deploy"): what `cmake --install` puts in a prefix, stripped,
# with a SHA256SUMS, under one top directory; and a .sha256 beside it.
#
# Included by CMakeLists.txt once every installed target exists: it names
# the tarball (BPFPORT_RELEASE_NAME) and, in a -DBPFPORT_STATIC=ON build,
# adds the `release` target, which runs this same file as a script
# (cmake -P). Reproducible: the same commit packs the same bytes from any
# build directory (the compile side is BPFPORT_PREFIX_MAPS in
# CMakeLists.txt); every time stamp is SOURCE_DATE_EPOCH, from the
# environment, else the last commit's time, else a fixed one (epoch.cmake).

if(NOT CMAKE_SCRIPT_MODE_FILE)
  set(BPFPORT_RELEASE_NAME bpfport-${PROJECT_VERSION}-${CMAKE_SYSTEM_PROCESSOR}-linux)
  if(BPFPORT_STATIC)
    if(NOT TARGET bpfport-cc)
      message(FATAL_ERROR "release: the runtime compiler helper bpfport-cc is not built: "
        "it needs BPFPORT_RTC_COMPILER=ON and clang/LLVM 14's static archives (ci/install-deps)")
    endif()
    add_custom_target(release
      COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR} -DSOURCE=${CMAKE_SOURCE_DIR}
              -DNAME=${BPFPORT_RELEASE_NAME} -P ${CMAKE_CURRENT_LIST_FILE}
      BYPRODUCTS ${CMAKE_BINARY_DIR}/${BPFPORT_RELEASE_NAME}.tar.gz
                 ${CMAKE_BINARY_DIR}/${BPFPORT_RELEASE_NAME}.tar.gz.sha256
      COMMENT "release: ${BPFPORT_RELEASE_NAME}.tar.gz"
      VERBATIM)
    # everything `cmake --install` installs
    add_dependencies(release bpfport bpfport-cc)
  endif()
  return()
endif()

# ---- cmake -DBUILD=DIR -DSOURCE=DIR -DNAME=NAME -P release.cmake ----
include(${CMAKE_CURRENT_LIST_DIR}/epoch.cmake)
bpfport_epoch(epoch ${SOURCE})

set(stage ${BUILD}/${NAME})
set(tarball ${BUILD}/${NAME}.tar.gz)
file(REMOVE_RECURSE ${stage})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${stage} --strip
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "release: cmake --install ${BUILD}: ${rc}")
endif()

file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${stage} ${stage}/*)
list(SORT files)
set(sums "")
foreach(f ${files})
  if(NOT IS_SYMLINK ${stage}/${f})
    file(SHA256 ${stage}/${f} h)
    string(APPEND sums "${h}  ${f}\n")
  endif()
endforeach()
file(WRITE ${stage}/SHA256SUMS "${sums}")

# names sorted, one owner, one time, modes 0755/0644, gzip without its own
# name and time stamp
execute_process(
  COMMAND tar --format=gnu --sort=name --mtime=@${epoch} --owner=0 --group=0
          --numeric-owner --mode=u=rwX,go=rX -C ${BUILD} -cf - ${NAME}
  COMMAND gzip -9n
  OUTPUT_FILE ${tarball}.tmp RESULTS_VARIABLE rcs)
if(NOT rcs STREQUAL "0;0")
  message(FATAL_ERROR "release: tar | gzip: ${rcs}")
endif()
file(RENAME ${tarball}.tmp ${tarball})
file(SHA256 ${tarball} h)
file(WRITE ${tarball}.sha256 "${h}  ${NAME}.tar.gz\n")
message(STATUS "release: ${tarball} (SOURCE_DATE_EPOCH=${epoch})")
