/* Entry points of the three front ends sharing one binary (see main.c). */
#ifndef MPI_PROGRAMS_H
#define MPI_PROGRAMS_H

int mpi_main(int argc, char **argv);      /* mp-image-tool-esp32: mpi_*.c */
int esptool_main(int argc, char **argv);  /* esptool: esptool_*.c */
int espemu_main(int argc, char **argv);   /* espemu: espemu_*.c */

#endif
