# Unit tests mirror the layers: every tests/unit/LAYER/test_*.c is one cmocka
# executable and one CTest test, linked with that layer (and so the layers
# below it) and the test support code, nothing higher.  Two exceptions are
# named here: tests that need whole firmware images also link the image
# generator (which itself holds only format code), and the emulator's tests
# drive it with the real loader.
find_library(CMOCKA_LIB cmocka REQUIRED)
add_library(testsupport STATIC ${CMAKE_SOURCE_DIR}/tests/support/testutil.c)
target_include_directories(testsupport PUBLIC ${CMAKE_SOURCE_DIR}/tests/support)
target_link_libraries(testsupport PUBLIC ${CMOCKA_LIB})
# A scripted chip on the other end of a port, for the loader's tests.
add_library(testsupport_port STATIC ${CMAKE_SOURCE_DIR}/tests/support/fake_port.c)
target_link_libraries(testsupport_port PUBLIC testsupport mpi_port)

# A generated firmware loaded into the firmware model.
add_library(testsupport_firmware STATIC ${CMAKE_SOURCE_DIR}/tests/support/firmware_fixture.c)
target_link_libraries(testsupport_firmware PUBLIC testsupport mpi_firmware mpi_fwgen)

# Damaged littlefs filesystems made with the project's own writer (unit
# tests), and `lfs_craft`, which makes them in image files for the e2e tests.
add_library(testsupport_lfs STATIC ${CMAKE_SOURCE_DIR}/tests/support/lfs_craft.c)
target_link_libraries(testsupport_lfs PUBLIC testsupport mpi_littlefs)
add_executable(lfs_craft ${CMAKE_SOURCE_DIR}/tests/support/lfs_craft_main.c)
# json_check: the --json documents against the schema in README.md.
add_executable(json_check ${CMAKE_SOURCE_DIR}/tests/support/json_check.c)
target_link_libraries(lfs_craft PRIVATE testsupport_lfs)

set(UNIT_LIBS_base     mpi_base)
set(UNIT_LIBS_format   mpi_format mpi_fwgen)
set(UNIT_LIBS_firmware mpi_firmware testsupport_firmware)
set(UNIT_LIBS_littlefs mpi_littlefs testsupport_lfs)
set(UNIT_LIBS_port     mpi_port testsupport_port)
set(UNIT_LIBS_loader   mpi_loader testsupport_port)
set(UNIT_LIBS_ops      mpi_ops testsupport_firmware testsupport_lfs)
set(UNIT_LIBS_emu      mpi_emu mpi_loader testsupport_port)

# Where the shared conformance fixtures live; tests skip with a message when absent.
get_filename_component(MPI_SHARED_DIR ${CMAKE_SOURCE_DIR}/../shared ABSOLUTE)

file(GLOB_RECURSE UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  if(NOT DEFINED UNIT_LIBS_${layer})
    message(FATAL_ERROR "${src}: tests/unit/${layer} is not a layer (tests/tests.cmake)")
  endif()
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${dir})
  target_link_libraries(${name} PRIVATE ${UNIT_LIBS_${layer}} testsupport)
  add_test(NAME unit.${layer}.${name} COMMAND ${name})
  set_tests_properties(unit.${layer}.${name} PROPERTIES
    ENVIRONMENT "MPI_SHARED=${MPI_SHARED_DIR};MPI_BUILD=${CMAKE_BINARY_DIR}"
    SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

# End-to-end tests: every tests/e2e/test_*.sh runs the real binaries.
file(GLOB E2E_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/e2e/test_*.sh)
foreach(script ${E2E_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME e2e.${name} COMMAND bash ${script})
  set_tests_properties(e2e.${name} PROPERTIES
    ENVIRONMENT "MPI_SHARED=${MPI_SHARED_DIR};MPI_BUILD=${CMAKE_BINARY_DIR};MPI_SOURCE=${CMAKE_SOURCE_DIR}"
    SKIP_RETURN_CODE 77 TIMEOUT 900)
endforeach()
