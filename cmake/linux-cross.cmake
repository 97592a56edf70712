# Cross-compiling for Linux on ARM with Debian's cross compilers and
# multiarch libraries (scripts/install-cross-deps.sh):
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/linux-cross.cmake -DMPI_TRIPLET=aarch64-linux-gnu
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/linux-cross.cmake -DMPI_TRIPLET=arm-linux-gnueabihf
# The libraries (zlib1g-dev:arm64, libssl-dev:arm64, ...) live in
# /usr/lib/TRIPLET and /usr/include/TRIPLET beside the host's.
if(NOT MPI_TRIPLET)
  set(MPI_TRIPLET aarch64-linux-gnu)
endif()
set(CMAKE_SYSTEM_NAME Linux)
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR ${MPI_TRIPLET})
set(CMAKE_C_COMPILER ${MPI_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${MPI_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# try_compile and the packages' checks see the triplet too
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MPI_TRIPLET)
# Programs of the target run under qemu-user (the man pages are made from
# the program's --help at build time); the multiarch libraries are where
# its dynamic loader looks.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${CMAKE_SYSTEM_PROCESSOR})
# Only the target's libraries: pkg-config (which FindOpenSSL asks first)
# looks in the triplet's directory, and the build machine's own are out.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${MPI_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
list(APPEND CMAKE_IGNORE_PATH /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu)
