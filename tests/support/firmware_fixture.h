/* A generated firmware (lib/fwgen) loaded into the firmware model over a
 * file flash: the starting point of the firmware and operation tests. */
#ifndef MPI_FIRMWARE_FIXTURE_H
#define MPI_FIRMWARE_FIXTURE_H

#include "firmware.h"
#include "fwgen.h"

/* Generate with `o`, check that detection finds the generator's base, and
 * load into *fw (flash size o->flash_size, named `name`).  Fails the test on
 * any error. */
void fixture_firmware(struct firmware *fw, const struct fwgen_opts *o, const char *name);

#endif
