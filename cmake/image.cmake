# The OCI image, bpfport-<version>-<arch>-linux.oci.tar (README.md,
# "Install and deploy"): FROM scratch, one layer holding bin/bpfport,
# bin/check_core_support and libexec/bpfport/bpfport-cc from the release
# tarball, nothing else (no shell, no libc, no CA bundle), entrypoint
# /bin/bpfport; saved as an oci-archive, which `podman load` names
# localhost/bpfport:<version>.
#
# Included by CMakeLists.txt after release.cmake: in a -DBPFPORT_STATIC=ON
# build it adds the `image` target, which builds the release and runs this
# same file as a script (cmake -P). Built with umoci from the tarball alone;
# reproducible like it: every time stamp (files, config, history, the
# archive's entries) is the one the tarball's files carry
# (SOURCE_DATE_EPOCH), umoci writes no other, and the archive's entries are
# sorted and owned by 0:0.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  if(BPFPORT_STATIC)
    find_program(UMOCI umoci)
    add_custom_target(image
      COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR} -DNAME=${BPFPORT_RELEASE_NAME}
              -DVERSION=${PROJECT_VERSION} -DARCH=${BPFPORT_ARCH} -DUMOCI=${UMOCI}
              -P ${CMAKE_CURRENT_LIST_FILE}
      BYPRODUCTS ${CMAKE_BINARY_DIR}/${BPFPORT_RELEASE_NAME}.oci.tar
      COMMENT "image: ${BPFPORT_RELEASE_NAME}.oci.tar"
      VERBATIM)
    add_dependencies(image release)
  endif()
  return()
endif()

# ---- cmake -DBUILD=DIR -DNAME=NAME -DVERSION=V -DARCH=A -DUMOCI=PATH -P image.cmake ----
if(NOT UMOCI)
  message(FATAL_ERROR "image: umoci not found (Debian: apt-get install umoci; ci/install-deps)")
endif()
set(tarball ${BUILD}/${NAME}.tar.gz)
set(archive ${BUILD}/${NAME}.oci.tar)
set(work ${BUILD}/image)
set(layout ${work}/layout)
set(bundle ${work}/bundle)
set(tag ${VERSION})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "image: ${cmd}: ${rc}")
  endif()
endfunction()

file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
# tar as root keeps the archive's owners (0:0), modes and times
run(tar -xzf ${tarball} -C ${work})
file(TIMESTAMP ${work}/${NAME}/bin/bpfport epoch "%s" UTC)
set(ENV{SOURCE_DATE_EPOCH} ${epoch})	# string(TIMESTAMP) reads it
string(TIMESTAMP created "%Y-%m-%dT%H:%M:%SZ" UTC)

run(${UMOCI} init --layout ${layout})
run(${UMOCI} new --image ${layout}:${tag})
run(${UMOCI} config --image ${layout}:${tag} --no-history --created ${created}
    --architecture ${ARCH} --os linux
    --config.entrypoint /bin/bpfport --config.cmd run
    --config.label org.opencontainers.image.title=bpfport
    --config.label org.opencontainers.image.version=${VERSION})
run(${UMOCI} unpack --image ${layout}:${tag} ${bundle})
file(RENAME ${work}/${NAME}/bin ${bundle}/rootfs/bin)
file(RENAME ${work}/${NAME}/libexec ${bundle}/rootfs/libexec)
run(touch -h -d @${epoch} ${bundle}/rootfs)
run(${UMOCI} repack --image ${layout}:${tag} --history.created ${created}
    --history.created_by "bpfport ${NAME}.tar.gz: bin/bpfport bin/check_core_support libexec/bpfport/bpfport-cc"
    ${bundle})
run(${UMOCI} gc --layout ${layout})

# the reference `podman load` names it by: umoci takes a tag alone
file(READ ${layout}/index.json index)
string(JSON ref GET "${index}" manifests 0 annotations org.opencontainers.image.ref.name)
if(NOT ref STREQUAL tag)
  message(FATAL_ERROR "image: index.json names ${ref}, expected ${tag}")
endif()
string(JSON index SET "${index}" manifests 0 annotations org.opencontainers.image.ref.name
  "\"bpfport:${tag}\"")
file(WRITE ${layout}/index.json "${index}")

run(tar --format=gnu --sort=name --mtime=@${epoch} --owner=0 --group=0 --numeric-owner
    --mode=u=rwX,go=rX -C ${layout} -cf ${archive}.tmp oci-layout index.json blobs)
file(RENAME ${archive}.tmp ${archive})
file(REMOVE_RECURSE ${work})
message(STATUS "image: ${archive} (localhost/bpfport:${tag}, SOURCE_DATE_EPOCH=${epoch})")
