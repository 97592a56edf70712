#include "firmware_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flash_file.h"

void fixture_firmware(struct firmware *fw, const struct fwgen_opts *o, const char *name)
{
    uint8_t *buf;
    size_t len;
    uint32_t base, detected;
    struct err e;
    enum firmware_kind kind;
    assert_int_equal(fwgen_firmware(o, &buf, &len, &base, &e), 0);
    assert_int_equal(firmware_detect(buf, len, &kind, &detected, &e), 0);
    assert_int_equal(detected, base);
    struct flash *f = flash_file_new((struct file_data){ buf, len, false }, base, o->flash_size, name,
                                     kind == FW_IMAGE, &e);
    assert_non_null(f);
    assert_int_equal(firmware_load(fw, f, kind, NULL, &e), 0);
}
