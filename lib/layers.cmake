# The library, one static library per folder of lib/, each linking only the
# layers below it (ARCHITECTURE.md).  Two things hold the order:
#  - a layer's include path holds its own folder and those of the layers it
#    links, so a lower layer cannot even name a higher layer's header;
#  - every layer is linked whole into a tiny program (layercheck_NAME) with
#    nothing but the layers below it, so a call that goes upwards is an
#    undefined reference at build time, not a surprise in some later link.

set(MPI_LAYERS "")

# mpi_layer(NAME [DEPENDS LOWER...] [LIBS EXTERNAL...])
function(mpi_layer name)
  cmake_parse_arguments(L "" "" "DEPENDS;LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lib/${name}/*.c)
  add_library(mpi_${name} STATIC ${sources})
  target_include_directories(mpi_${name} PUBLIC ${CMAKE_SOURCE_DIR}/lib/${name})
  foreach(dep ${L_DEPENDS})
    target_link_libraries(mpi_${name} PUBLIC mpi_${dep})
  endforeach()
  target_link_libraries(mpi_${name} PUBLIC ${L_LIBS})
  set(MPI_LAYERS ${MPI_LAYERS} ${name} PARENT_SCOPE)
endfunction()

# From the bottom up.
mpi_layer(base)                                            # errors, bytes, file I/O
mpi_layer(format   DEPENDS base LIBS ZLIB::ZLIB OpenSSL::Crypto) # chips, images, tables, otadata, layouts, SLIP
mpi_layer(flash    DEPENDS base)                           # struct flash, file and memory backends
mpi_layer(port     DEPENDS base)                           # byte streams: serial, TCP, RFC 2217
mpi_layer(firmware DEPENDS format flash)                   # the firmware model
mpi_layer(littlefs DEPENDS flash LIBS ZLIB::ZLIB)           # littlefs v2
mpi_layer(fwgen    DEPENDS format LIBS ZLIB::ZLIB OpenSSL::Crypto) # the image generator
mpi_layer(loader   DEPENDS format flash port LIBS ZLIB::ZLIB OpenSSL::Crypto) # the ROM/stub protocol
mpi_layer(ops      DEPENDS firmware littlefs)              # operations, written once for files and devices
mpi_layer(emu      DEPENDS format port LIBS ZLIB::ZLIB OpenSSL::Crypto m) # the emulated chip

set(LAYERCHECK_MAIN ${CMAKE_BINARY_DIR}/layercheck_main.c)
file(WRITE ${LAYERCHECK_MAIN} "int main(void) { return 0; }\n")
foreach(layer ${MPI_LAYERS})
  add_executable(layercheck_${layer} ${LAYERCHECK_MAIN})
  target_link_libraries(layercheck_${layer} PRIVATE
    "$<LINK_LIBRARY:WHOLE_ARCHIVE,mpi_${layer}>")
endforeach()
