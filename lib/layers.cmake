# The library, one static library per folder of lib/, each linking only the
# layers below it (ARCHITECTURE.md).  Two things hold the order:
#  - a layer's include path holds its own folder and those of the layers it
#    links, so a lower layer cannot even name a higher layer's header;
#  - every layer is linked whole into a tiny program (layercheck_NAME) with
#    nothing but the layers below it, so a call that goes upwards is an
#    undefined reference at build time, not a surprise in some later link.

#
# Platforms: a file named *_win32.c is built for Windows only, in place of
# the files its layer lists as POSIX (termios, fds, mmap, signals); the
# rest is the same source everywhere.

set(MPI_LAYERS "")

# mpi_layer(NAME [DEPENDS LOWER...] [LIBS EXTERNAL...] [POSIX FILE...])
function(mpi_layer name)
  cmake_parse_arguments(L "" "" "DEPENDS;LIBS;POSIX" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lib/${name}/*.c)
  if(WIN32)
    list(TRANSFORM L_POSIX PREPEND ${CMAKE_SOURCE_DIR}/lib/${name}/)
    list(REMOVE_ITEM sources ${L_POSIX})
  else()
    list(FILTER sources EXCLUDE REGEX "_win32\\.c$")
  endif()
  add_library(mpi_${name} STATIC ${sources})
  target_include_directories(mpi_${name} PUBLIC ${CMAKE_SOURCE_DIR}/lib/${name})
  foreach(dep ${L_DEPENDS})
    target_link_libraries(mpi_${name} PUBLIC mpi_${dep})
  endforeach()
  target_link_libraries(mpi_${name} PUBLIC ${L_LIBS})
  set(MPI_LAYERS ${MPI_LAYERS} ${name} PARENT_SCOPE)
endfunction()

# What the platform adds: the digests' library (hash.c: OpenSSL; hash_win32.c:
# CNG), and on Windows winpthread's clock_gettime, Winsock and SetupAPI.
if(WIN32)
  set(MPI_BASE_LIBS bcrypt winpthread)
  set(MPI_PORT_LIBS ws2_32 setupapi)
  set(MPI_MATH_LIB "")
else()
  set(MPI_BASE_LIBS OpenSSL::Crypto)
  set(MPI_PORT_LIBS "")
  set(MPI_MATH_LIB m)
endif()

# From the bottom up.
mpi_layer(base     LIBS ${MPI_BASE_LIBS}                   # errors, bytes, file I/O, digests
                   POSIX fileio_signal.c hash.c)
mpi_layer(format   DEPENDS base LIBS ZLIB::ZLIB)           # chips, images, tables, otadata, layouts, SLIP
mpi_layer(flash    DEPENDS base)                           # struct flash, file and memory backends
mpi_layer(port     DEPENDS base LIBS ${MPI_PORT_LIBS}      # byte streams: serial, TCP, RFC 2217
                   POSIX port_posix.c port_serial.c port_serial_baud.c)
mpi_layer(firmware DEPENDS format flash)                   # the firmware model
mpi_layer(littlefs DEPENDS flash LIBS ZLIB::ZLIB)           # littlefs v2
mpi_layer(fwgen    DEPENDS format LIBS ZLIB::ZLIB)          # the image generator
mpi_layer(loader   DEPENDS format flash port LIBS ZLIB::ZLIB) # the ROM/stub protocol
mpi_layer(ops      DEPENDS firmware littlefs)              # operations, written once for files and devices
mpi_layer(emu      DEPENDS format port LIBS ZLIB::ZLIB ${MPI_MATH_LIB}) # the emulated chip

set(LAYERCHECK_MAIN ${CMAKE_BINARY_DIR}/layercheck_main.c)
file(WRITE ${LAYERCHECK_MAIN} "int main(void) { return 0; }\n")
foreach(layer ${MPI_LAYERS})
  add_executable(layercheck_${layer} ${LAYERCHECK_MAIN})
  target_link_libraries(layercheck_${layer} PRIVATE
    "$<LINK_LIBRARY:WHOLE_ARCHIVE,mpi_${layer}>")
endforeach()
