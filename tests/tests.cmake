# Unit tests: every tests/unit/test_*.c is one cmocka executable and one CTest test.
find_library(CMOCKA_LIB cmocka REQUIRED)
file(GLOB SUPPORT_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/support/*.c)
add_library(testsupport STATIC ${SUPPORT_SOURCES})
target_include_directories(testsupport PUBLIC ${CMAKE_SOURCE_DIR}/tests/support)
target_link_libraries(testsupport PUBLIC mpi ${CMOCKA_LIB})

# Where the shared conformance fixtures live; tests skip with a message when absent.
get_filename_component(MPI_SHARED_DIR ${CMAKE_SOURCE_DIR}/../shared ABSOLUTE)

file(GLOB_RECURSE UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${dir})
  target_link_libraries(${name} PRIVATE testsupport)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES
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
