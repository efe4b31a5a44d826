# Installing and packaging: `cmake --install build` puts vangnetd in sbin,
# vangnet in bin (the thin front; the whole client in libexec/vangnet), the manual pages, the systemd unit and the settings file
# in their usual places; `cpack --config build/CPackConfig.cmake` (from the
# build directory: `cd build && cpack -G DEB`) makes two Debian packages,
# vangnetd (server) and vangnet (client). See docs/OPERATIONS.md.
include(GNUInstallDirs)

install(TARGETS vangnetd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT server)
install(TARGETS vangnet_thin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT client)
install(TARGETS vangnet RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/vangnet COMPONENT client)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/vangnetd.service
  DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md ${PROJECT_SOURCE_DIR}/docs/BACKUP.md
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/vangnetd COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vangnet)
set(CPACK_PACKAGE_VENDOR "Vangnet")
set(CPACK_PACKAGE_CONTACT "Vangnet <dev@vangnet.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_COMPONENTS_ALL server client)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Runtime dependencies from the binaries themselves (dpkg-shlibdeps): the
# libraries of Debian 12 they link, at the versions they need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME vangnetd)
set(CPACK_COMPONENT_SERVER_DESCRIPTION
  "Vangnet server: end-to-end encrypted support messenger\nvangnetd relays end-to-end encrypted messages between the doctors of a\nmonitoring programme and their care network, keeps case records in an\nLMDB store sealed at rest, and escalates alerts. Ships a hardened systemd\nunit (not enabled), /etc/vangnet/vangnetd.conf and manual pages.")
# useradd (postinst) is in passwd; the unit needs systemd to run, but the
# package installs without it (chroots, containers).
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  "${PROJECT_SOURCE_DIR}/deploy/debian/postinst;${PROJECT_SOURCE_DIR}/deploy/debian/prerm;${PROJECT_SOURCE_DIR}/deploy/debian/postrm;${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME vangnet)
set(CPACK_COMPONENT_CLIENT_DESCRIPTION
  "Vangnet client: end-to-end encrypted support messenger\nvangnet is the command-line client of Vangnet: it joins with an invite code,\nsends and reads end-to-end encrypted messages, and runs cases, contracts,\ncheck-ins and alerts. Each profile is encrypted at rest with a passphrase.")

include(CPack)
