# Fuzzing.  Two parts:
#  - make_corpus (always built, so it cannot rot): writes the seed corpus in
#    fuzz/corpus/TARGET/ with the project's own generators (fuzz/make_corpus.sh);
#  - with -DFUZZ=ON (clang): one libFuzzer program per fuzz/fuzz_*.c, linked
#    with the layers it reaches and nothing more (FUZZ_LIBS_<target>), and
#    fuzz_all to build them all (scripts/fuzz.sh runs them).
# fuzz/support holds what a target and make_corpus share: the input formats.

add_library(fuzzsupport STATIC ${CMAKE_SOURCE_DIR}/fuzz/support/chunks.c)
target_include_directories(fuzzsupport PUBLIC ${CMAKE_SOURCE_DIR}/fuzz/support)

add_library(fuzzsupport_lfs STATIC ${CMAKE_SOURCE_DIR}/fuzz/support/lfs_input.c)
target_link_libraries(fuzzsupport_lfs PUBLIC fuzzsupport mpi_littlefs)

add_library(fuzzsupport_loader STATIC ${CMAKE_SOURCE_DIR}/fuzz/support/loader_session.c)
target_link_libraries(fuzzsupport_loader PUBLIC fuzzsupport mpi_loader)

add_executable(make_corpus ${CMAKE_SOURCE_DIR}/fuzz/make_corpus.c)
target_link_libraries(make_corpus PRIVATE fuzzsupport_lfs fuzzsupport_loader mpi_fwgen mpi_emu)

set(FUZZ_LIBS_fuzz_formats  mpi_firmware)
set(FUZZ_LIBS_fuzz_littlefs fuzzsupport_lfs)
set(FUZZ_LIBS_fuzz_otadata  mpi_format)
set(FUZZ_LIBS_fuzz_slip     mpi_format)
set(FUZZ_LIBS_fuzz_loader   fuzzsupport_loader)
set(FUZZ_LIBS_fuzz_rfc2217  mpi_port mpi_emu)
set(FUZZ_LIBS_fuzz_elf      mpi_format)
# The loader waits with port_now_ms()/port_sleep_ms(): its target links its
# own clock in their place (fuzz_loader.c), so a timeout costs no real time
# and every run of an input is the same.
set(FUZZ_LINK_fuzz_loader -Wl,--wrap=port_now_ms -Wl,--wrap=port_sleep_ms)

if(FUZZ)
  file(GLOB FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
  add_custom_target(fuzz_all)
  foreach(src ${FUZZ_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    if(NOT DEFINED FUZZ_LIBS_${name})
      message(FATAL_ERROR "${src}: no FUZZ_LIBS_${name} in fuzz/fuzz.cmake")
    endif()
    add_executable(${name} ${src})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer ${FUZZ_LINK_${name}})
    target_link_libraries(${name} PRIVATE ${FUZZ_LIBS_${name}})
    add_dependencies(fuzz_all ${name})
  endforeach()
endif()
