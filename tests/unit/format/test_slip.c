/* SLIP framing: encoding, lenient decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "slip.h"

static void test_encode_escapes(void **state)
{
    (void)state;
    const uint8_t in[] = { 0x01, 0xC0, 0xDB, 0x02 };
    uint8_t out[2 * sizeof in + 2];
    const uint8_t want[] = { 0xC0, 0x01, 0xDB, 0xDC, 0xDB, 0xDD, 0x02, 0xC0 };
    size_t n = slip_encode(in, sizeof in, out);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_decode_skips_garbage_and_empty_frames(void **state)
{
    (void)state;
    const uint8_t stream[] = { 'b', 'o', 'o', 't', 0xC0, 0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xC0 };
    uint8_t buf[16];
    struct slip_decoder d;
    int frames = 0;
    slip_decoder_init(&d, buf, sizeof buf);
    for (size_t i = 0; i < sizeof stream; i++)
        frames += slip_feed(&d, stream[i]);
    assert_int_equal(frames, 1);
    assert_int_equal(d.len, 3);
    assert_int_equal(d.garbage, 4);
    const uint8_t want[] = { 0x01, 0xC0, 0x02 };
    assert_memory_equal(buf, want, 3);
}

static void test_decode_flags_bad_escape_and_overflow(void **state)
{
    (void)state;
    uint8_t buf[2];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);
    const uint8_t s1[] = { 0xC0, 0xDB, 0x11, 0xC0 };
    int got = 0;
    for (size_t i = 0; i < sizeof s1; i++)
        got += slip_feed(&d, s1[i]);
    assert_int_equal(got, 1);
    assert_true(d.bad_escape);
    const uint8_t s2[] = { 0xC0, 1, 2, 3, 0xC0 };
    got = 0;
    for (size_t i = 0; i < sizeof s2; i++)
        got += slip_feed(&d, s2[i]);
    assert_int_equal(got, 1);
    assert_false(d.bad_escape);
    assert_true(d.overflow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_escapes),
        cmocka_unit_test(test_decode_skips_garbage_and_empty_frames),
        cmocka_unit_test(test_decode_flags_bad_escape_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
