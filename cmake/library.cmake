# libbpfport installed for other programs (README.md, "Use the library"):
# <bpfport/bpfport.h> and <bpfport/events.h>, libbpfport.a, libbpfport.so,
# bpfport.pc and the CMake package (find_package(bpfport): bpfport::bpfport).
# Every path they hold is relative to where they are installed, so that an
# installed tree can be moved (tests/integration/install_test.py moves one
# and builds tests/consumer/ against it).
#
# A -DBPFPORT_STATIC=ON build (the release: the agent alone) builds no
# libbpfport.so, and installs the rest only with --component devel.

include(CMakePackageConfigHelpers)

foreach(dir INCLUDEDIR LIBDIR LIBEXECDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    message(FATAL_ERROR "CMAKE_INSTALL_${dir}=${CMAKE_INSTALL_${dir}}: give it relative to "
      "the prefix (bpfport.pc and the CMake package hold relative paths only)")
  endif()
endforeach()

set(lib_component COMPONENT devel)
if(BPFPORT_STATIC)
  list(APPEND lib_component EXCLUDE_FROM_ALL)
endif()
set(lib_targets bpfport_lib)
set_target_properties(bpfport_lib PROPERTIES EXPORT_NAME bpfport_static)
if(NOT BPFPORT_STATIC)
  # libbpfport.so.0: the soname carries the major version (as libbpf's),
  # the exports are the version script's
  bpfport_library(bpfport_shared SHARED)
  set(lib_map ${CMAKE_SOURCE_DIR}/loader/libbpfport.map)
  set_target_properties(bpfport_shared PROPERTIES EXPORT_NAME bpfport
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} LINK_DEPENDS ${lib_map})
  target_link_options(bpfport_shared PRIVATE -Wl,--version-script=${lib_map})
  if(NOT BPFPORT_SANITIZE_FLAGS)	# their runtime comes with the executable
    target_link_options(bpfport_shared PRIVATE -Wl,-z,defs)
  endif()
  list(APPEND lib_targets bpfport_shared)
endif()

install(FILES ${CMAKE_SOURCE_DIR}/loader/include/bpfport/bpfport.h ${events_h}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bpfport ${lib_component})
install(TARGETS ${lib_targets} EXPORT bpfportTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} ${lib_component}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT devel)

# The runtime compiler helper, when this build has one. libbpfport looks
# for it relative to the calling executable, which finds it only for a
# program in this prefix's bin/; any other program gives it in
# opts.rtc_compiler, as bpfport.pc (compiler_helper) or the package
# (bpfport_COMPILER_HELPER) name it.
set(pc_helper "")
set(cmake_helper "")
if(TARGET bpfport-cc)
  get_directory_property(lib_helper_dir DIRECTORY ${CMAKE_SOURCE_DIR}/runtime-compiler
    DEFINITION RTC_HELPER_INSTALL_DIR)
  set(pc_helper "compiler_helper=\${prefix}/${lib_helper_dir}/bpfport-cc")
  set(cmake_helper "set_and_check(bpfport_COMPILER_HELPER \"\${PACKAGE_PREFIX_DIR}/${lib_helper_dir}/bpfport-cc\")")
endif()

# bpfport.pc: the prefix is found from the file's own directory
file(RELATIVE_PATH pc_prefix /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" pc_prefix ${pc_prefix})
configure_file(${CMAKE_CURRENT_LIST_DIR}/bpfport.pc.in ${CMAKE_BINARY_DIR}/bpfport.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/bpfport.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig ${lib_component})

set(lib_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/bpfport)
install(EXPORT bpfportTargets NAMESPACE bpfport:: DESTINATION ${lib_cmake_dir} ${lib_component})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bpfportConfig.cmake.in
  ${CMAKE_BINARY_DIR}/bpfportConfig.cmake INSTALL_DESTINATION ${lib_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/bpfportConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/bpfportConfig.cmake ${CMAKE_BINARY_DIR}/bpfportConfigVersion.cmake
  DESTINATION ${lib_cmake_dir} ${lib_component})
