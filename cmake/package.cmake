# Installing and packaging (cmake --install, cpack; scripts/release.sh makes
# every package):
#   - the program and its other names: symbolic links esptool and espemu on
#     Linux, copies esptool.exe and espemu.exe on Windows (links there are
#     not something a user can rely on);
#   - Linux: man pages made from each personality's --help at build time
#     (cmake/help2man.cmake; a cross build runs the program under its
#     CMAKE_CROSSCOMPILING_EMULATOR), and bash completion
#     (packaging/mp-image-tool-esp32.bash, which reads the options from
#     --help too);
#   - cpack: DEB (amd64, arm64, armhf), TGZ (the static Linux build), ZIP
#     (Windows), each named mp-image-tool-esp32-VERSION-PLATFORM.EXT.
include(GNUInstallDirs)

if(WIN32)
  # the .zip: the three programs and the README at its top
  install(TARGETS mp-image-tool-esp32 RUNTIME DESTINATION .)
  install(PROGRAMS ${CMAKE_BINARY_DIR}/esptool.exe ${CMAKE_BINARY_DIR}/espemu.exe
          DESTINATION .)
  install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION .)
else()
  install(TARGETS mp-image-tool-esp32 RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # the links made beside the program at build time, installed as links
  install(PROGRAMS ${CMAKE_BINARY_DIR}/esptool ${CMAKE_BINARY_DIR}/espemu
          DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

  # NAME|summary|arguments before --help
  set(MAN_PAGES
    "mp-image-tool-esp32|inspect and rewrite ESP32 MicroPython firmware files and devices|"
    "esptool|flash ESP chips with esptool.py's command lines, without Python|--esptool"
    "espemu|an emulated ESP chip in ROM download mode, for testing flashing tools|--espemu")
  set(MAN_FILES "")
  set(emulator "")
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" "|" emulator "${CMAKE_CROSSCOMPILING_EMULATOR}|")
  endif()
  foreach(page ${MAN_PAGES})
    string(REPLACE "|" ";" f "${page}")
    list(GET f 0 name)
    list(GET f 1 summary)
    list(LENGTH f n)
    set(args "")
    if(n GREATER 2)
      list(GET f 2 args)
    endif()
    if(args)
      set(args "${args}|")
    endif()
    set(out ${CMAKE_BINARY_DIR}/man/${name}.1.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${CMAKE_COMMAND} "-DCMD=${emulator}$<TARGET_FILE:mp-image-tool-esp32>|${args}--help"
              -DNAME=${name} "-DSUMMARY=${summary}" -DVERSION=${PROJECT_VERSION}
              "-DSEE_ALSO=mp-image-tool-esp32(1), esptool(1), espemu(1)"
              -DOUT=${CMAKE_BINARY_DIR}/man/${name}.1 -DGZIP=ON
              -P ${CMAKE_SOURCE_DIR}/cmake/help2man.cmake
      DEPENDS mp-image-tool-esp32 ${CMAKE_SOURCE_DIR}/cmake/help2man.cmake
      COMMENT "Man page ${name}.1 from ${name} --help" VERBATIM)
    list(APPEND MAN_FILES ${out})
  endforeach()
  add_custom_target(man ALL DEPENDS ${MAN_FILES})
  install(FILES ${MAN_FILES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

  # bash-completion loads completions/NAME for the command NAME
  set(COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  install(FILES ${CMAKE_SOURCE_DIR}/packaging/mp-image-tool-esp32.bash
          DESTINATION ${COMPLETION_DIR} RENAME mp-image-tool-esp32)
  foreach(alias esptool espemu)
    file(CREATE_LINK mp-image-tool-esp32 ${CMAKE_BINARY_DIR}/completion-${alias} SYMBOLIC)
    install(FILES ${CMAKE_BINARY_DIR}/completion-${alias} DESTINATION ${COMPLETION_DIR}
            RENAME ${alias})
  endforeach()
endif()

# ---- packages ----
set(CPACK_PACKAGE_NAME mp-image-tool-esp32)
set(CPACK_PACKAGE_VENDOR "mp-image-tool-esp32")
set(CPACK_PACKAGE_CONTACT "mp-image-tool-esp32 maintainers <mp-image-tool-esp32@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ESP32 MicroPython firmware and partition tool, esptool and an ESP emulator")
set(CPACK_PACKAGE_DESCRIPTION
    "One native program for MicroPython users on ESP32 boards: it inspects and rewrites
firmware images and partition tables and manages the littlefs filesystem, on
firmware files and devices (mp-image-tool-esp32); it takes esptool.py's command
lines (esptool); and it emulates an ESP chip for tests (espemu). No Python needed.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)

# The platform in the file names: windows-x86_64, linux-x86_64 (static),
# and Debian's architecture for the .deb.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(MPI_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(MPI_DEB_ARCH armhf)
else()
  set(MPI_DEB_ARCH amd64)
endif()
if(WIN32)
  set(MPI_PLATFORM windows-x86_64)
  set(CPACK_GENERATOR ZIP)
  set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY OFF)
elseif(STATIC)
  set(MPI_PLATFORM linux-${CMAKE_SYSTEM_PROCESSOR})
  set(CPACK_GENERATOR TGZ)
else()
  set(MPI_PLATFORM ${MPI_DEB_ARCH})
  set(CPACK_GENERATOR DEB)
endif()
set(CPACK_PACKAGE_FILE_NAME ${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-${MPI_PLATFORM})

set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${MPI_DEB_ARCH})
set(CPACK_DEBIAN_FILE_NAME ${CPACK_PACKAGE_FILE_NAME}.deb)
set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# What the dynamic build links (Debian 12's versions and later); a cross
# build cannot run dpkg-shlibdeps on the target's files, so it is written out.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libssl3 (>= 3.0.0), zlib1g (>= 1:1.2.0)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
if(CPACK_GENERATOR STREQUAL DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
endif()
include(CPack)
