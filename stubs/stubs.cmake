# The flasher stubs (Espressif's esp-flasher-stub, Apache-2.0 OR MIT) come
# from the npm package esptool-js pinned in stubs/package.json, installed by
# scripts/install-deps.sh (`npm ci` in stubs/).  Nothing of them is committed:
# at build time stubs_gen.cmake turns every stub_flasher/*.json into one
# generated C file (base64 blobs decoded at run time by lib/stub.c).
set(STUB_JSON_DIR ${CMAKE_SOURCE_DIR}/stubs/node_modules/esptool-js/lib/targets/stub_flasher)
if(NOT EXISTS ${STUB_JSON_DIR}/esp32.json)
  message(FATAL_ERROR
    "The flasher stubs are missing: ${STUB_JSON_DIR} has no esp32.json.\n"
    "Run scripts/install-deps.sh (it runs `npm ci` in stubs/) and configure again.")
endif()
file(GLOB STUB_JSON_FILES CONFIGURE_DEPENDS ${STUB_JSON_DIR}/*.json)
set(STUB_GEN_C ${CMAKE_BINARY_DIR}/stubs_gen.c)
add_custom_command(
  OUTPUT ${STUB_GEN_C}
  COMMAND ${CMAKE_COMMAND} -DSTUB_JSON_DIR=${STUB_JSON_DIR} -DOUT=${STUB_GEN_C}
          -P ${CMAKE_SOURCE_DIR}/stubs/stubs_gen.cmake
  DEPENDS ${STUB_JSON_FILES} ${CMAKE_SOURCE_DIR}/stubs/stubs_gen.cmake
          ${CMAKE_SOURCE_DIR}/stubs/package-lock.json
  COMMENT "Embedding flasher stubs from esptool-js"
  VERBATIM)
target_sources(mpi_loader PRIVATE ${STUB_GEN_C})
