# The packages (README.md, "Install and deploy"): bpfport_<version>_<arch>.deb
# and bpfport-<version>-1.<arch>.rpm, made by CPack's DEB and RPM generators
# from this build's install with prefix /usr, stripped: what the release
# tarball holds (/usr/bin/bpfport, check_core_support, the helper in
# /usr/libexec/bpfport, README.md), the `deploy` component (the unit, its
# example drop-ins, the man pages, the bash completion) and the packages' own
# docs (component `packages`: copyright, changelog.gz). The same files in
# both, but for the .deb's lintian overrides (component `debian`). No
# Depends or Requires: both executables are static.
#
# The unit goes to /usr/lib/systemd/system, the prefix's lib/systemd/system
# as for any prefix: RHEL's and Fedora's place, and a directory Debian's
# systemd reads on bullseye and bookworm (where /lib is /usr/lib) alike.
#
# The `devel` component (libbpfport.a, the headers, bpfport.pc, the CMake
# package) is not packaged: its users link libbpf >= 1.0, libelf, zlib and
# liblzma themselves, which ties a -dev package to one distribution's
# versions (bullseye has libbpf 0.3), unlike these. A distribution's own
# (dynamic) build installs it.
#
# Included by CMakeLists.txt after image.cmake: in a -DBPFPORT_STATIC=ON build
# it configures CPack and adds the `packages` target (cpack), and `dist`,
# which builds the tarball, the image and the packages. cpack reads this same
# file again: for each generator (CPACK_PROJECT_CONFIG_FILE), where it sets
# SOURCE_DATE_EPOCH (epoch.cmake) and writes the changelog dated by it; and
# on each staging dir (CPACK_PRE_BUILD_SCRIPTS), where it gives every file
# that time. The packages are reproducible as the tarball is.

if(CPACK_TEMPORARY_DIRECTORY)
  # ---- run by cpack on its staging dir, before it packs ----
  execute_process(COMMAND find ${CPACK_TEMPORARY_DIRECTORY} -exec
                          touch -h -d @$ENV{SOURCE_DATE_EPOCH} {} +
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packages: touch ${CPACK_TEMPORARY_DIRECTORY}: ${rc}")
  endif()
  return()
elseif(CPACK_GENERATOR)
  # ---- read by cpack for each generator, before it installs ----
  if(CPACK_GENERATOR STREQUAL "RPM")
    find_program(RPMBUILD rpmbuild)
    if(NOT RPMBUILD)
      message(FATAL_ERROR "packages: rpmbuild not found (Debian: apt-get install rpm; "
        "ci/install-deps)")
    endif()
  elseif(CPACK_GENERATOR STREQUAL "DEB")
    list(APPEND CPACK_COMPONENTS_ALL debian)
  endif()
  include(${CMAKE_CURRENT_LIST_DIR}/epoch.cmake)
  bpfport_epoch(epoch ${CPACK_BPFPORT_SOURCE})
  # string(TIMESTAMP), rpmbuild, the staging dir's times
  set(ENV{SOURCE_DATE_EPOCH} ${epoch})
  string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
  # Debian's changelog format (a native package's changelog.gz), gzip -9n
  get_filename_component(log ${CPACK_BPFPORT_CHANGELOG} NAME_WLE)
  get_filename_component(dir ${CPACK_BPFPORT_CHANGELOG} DIRECTORY)
  file(WRITE ${dir}/${log}
    "bpfport (${CPACK_PACKAGE_VERSION}) unstable; urgency=medium\n\n"
    "  * bpfport ${CPACK_PACKAGE_VERSION}: see /usr/share/doc/bpfport/README.md.\n\n"
    " -- ${CPACK_PACKAGE_CONTACT}  ${date}\n")
  execute_process(COMMAND gzip -9nf ${dir}/${log} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packages: gzip ${dir}/${log}: ${rc}")
  endif()
  return()
endif()

# ---- included by CMakeLists.txt ----
# their names (the tests' too)
set(BPFPORT_DEB_FILE bpfport_${PROJECT_VERSION}_${BPFPORT_ARCH}.deb)
set(BPFPORT_RPM_FILE bpfport-${PROJECT_VERSION}-1.${CMAKE_SYSTEM_PROCESSOR}.rpm)
if(NOT BPFPORT_STATIC)
  return()
endif()
set(BPFPORT_PACKAGE_MAINTAINER
  "bpfport maintainers <maintainers@users.noreply.b-seed-2377d4b2.example>"
  CACHE STRING "The packages' maintainer, \"Name <address>\"")
set(pkgdir ${CMAKE_BINARY_DIR}/packages)

# the packages' own docs: their copyright file, and the changelog cpack
# writes (above: dated SOURCE_DATE_EPOCH)
set(CPACK_BPFPORT_SOURCE ${CMAKE_SOURCE_DIR})
set(CPACK_BPFPORT_CHANGELOG ${pkgdir}/changelog.gz)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/packages/copyright ${CPACK_BPFPORT_CHANGELOG}
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT packages EXCLUDE_FROM_ALL)
# the .deb's alone (component `debian`): lintian's overrides, each with
# its reason
install(FILES ${CMAKE_SOURCE_DIR}/deploy/packages/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME bpfport
  COMPONENT debian EXCLUDE_FROM_ALL)

# the maintainer scripts, one template for every hook of both
foreach(hook deb/postinst deb/prerm deb/postrm rpm/post rpm/preun rpm/postun)
  get_filename_component(FORMAT ${hook} DIRECTORY)
  get_filename_component(HOOK ${hook} NAME)
  configure_file(${CMAKE_SOURCE_DIR}/deploy/packages/maintscript.in ${pkgdir}/${hook}
    @ONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR DEB RPM)
set(CPACK_PACKAGE_NAME bpfport)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${BPFPORT_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_VENDOR "bpfport")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "load BPF probes on any Linux kernel from 4.18 up and stream their events")
# wrapped as Debian wants it (each line is one of the control file's)
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "bpfport loads one set of BPF probes (process exec, fork and exit; file\n"
  "opens; TCP state changes; OOM kills) on every kernel from 4.18 up, in\n"
  "the best mode the kernel allows: CO-RE against the kernel's BTF, CO-RE\n"
  "against embedded btfhub BTF, or compiled at run time by its own\n"
  "clang/LLVM; and prints their events, one JSON object a line.\n"
  "check_core_support says which mode a host gets, and why not a better one.\n"
  "\n"
  "Both executables are static: the package needs no other. The systemd\n"
  "unit bpfport.service comes disabled.")
# /usr, through DESTDIR: the unit's ExecStart is written from the prefix
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL Unspecified deploy packages)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_FILE})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_FILE})

set(CPACK_DEBIAN_FILE_NAME ${BPFPORT_DEB_FILE})
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${BPFPORT_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# xz: dpkg reads it from bullseye on (not zstd)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${pkgdir}/deb/postinst ${pkgdir}/deb/prerm
  ${pkgdir}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_RPM_FILE_NAME ${BPFPORT_RPM_FILE})
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_ARCHITECTURE ${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_RPM_PACKAGE_LICENSE "LGPL-2.1-only OR BSD-2-Clause")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_RPM_PACKAGE_AUTOREQPROV OFF)
# the package owns its own directories only
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /usr/libexec /usr/lib/systemd
  /usr/lib/systemd/system /usr/share/bash-completion /usr/share/bash-completion/completions
  /usr/share/man /usr/share/man/man8)
# the files as installed: not stripped again, not compressed (rpmbuild's
# brp-* scripts), so that they are the .deb's and the tarball's bytes
set(CPACK_RPM_SPEC_INSTALL_POST /bin/true)
# no /usr/lib/.build-id links (not in the .deb); the build time and host
# from SOURCE_DATE_EPOCH, not the clock and the machine
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none
%define use_source_date_epoch_as_buildtime 1
%define _buildhost reproducible")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${pkgdir}/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${pkgdir}/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${pkgdir}/rpm/postun)
include(CPack)

# `make package` does the same, after building everything
add_custom_target(packages
  COMMAND ${CMAKE_CPACK_COMMAND} --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "packages: ${BPFPORT_DEB_FILE} and ${BPFPORT_RPM_FILE}"
  VERBATIM)
# everything the three components install
add_dependencies(packages bpfport bpfport-cc man)
add_custom_target(dist)
add_dependencies(dist release image packages)
