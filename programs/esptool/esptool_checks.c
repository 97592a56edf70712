/* What esptool checks before it writes (cmds.py write_flash,
 * ../shared/docs/esptool-commands.md §7.3, §8, §9): the flash option
 * values and their ESPTOOL_FM/FF/FS defaults, and that an image written
 * to the chip is one for this chip and its revision. */
#include <stdio.h>
#include <string.h>

#include "esptool_cmds.h"
#include "image_load.h"

static const char *const modes_keep[] = { "qio", "qout", "dio", "dout", "keep", NULL };
static const char *const freqs_keep[] = { "keep", "80m", "60m", "48m", "40m", "30m", "26m",
                                          "24m", "20m", "16m", "15m", "12m", NULL };
static const char *const sizes_detect[] = { "detect", "keep", "256KB", "512KB", "1MB", "2MB",
                                            "2MB-c1", "4MB", "4MB-c1", "8MB", "16MB", "32MB",
                                            "64MB", "128MB", NULL };

int es_flash_options(const char **mode, const char **freq, const char **size, struct err *e)
{
    if (!*mode)
        *mode = es_env_default("ESPTOOL_FM", "keep");
    if (!*freq)
        *freq = es_env_default("ESPTOOL_FF", "keep");
    if (!*size)
        *size = es_env_default("ESPTOOL_FS", "keep");
    /* megabit spellings ("32m", esptool 1.x) are refused here, as by esptool 4 and 5 */
    if (es_check_choice("--flash-mode|-fm", *mode, modes_keep, e) ||
        es_check_choice("--flash-freq|-ff", *freq, freqs_keep, e) ||
        es_check_choice("--flash-size|-fs", *size, sizes_detect, e))
        return -1;
    return 0;
}

struct found {
    bool other_chip;
};

static void on_warning(void *ctx, const char *msg)
{
    struct found *f = ctx;
    es_warn("%s", msg);
    if (strstr(msg, "Unexpected chip ID"))
        f->other_chip = true;
}

/* The revision range the image asks for, against this chip (major * 100 +
 * minor); as esptool picks between the legacy byte and the full fields. */
static int check_revision(struct loader *l, const char *file, const struct iload *img,
                          struct err *e)
{
    int rev = loader_chip_revision(l);
    if (rev < 0)
        return 0;                       /* a revision we cannot read: nothing to compare */
    bool full = img->max_rev_full != 0 && !(img->max_rev_full == 65535 &&
                                            img->min_rev_full == 0 && img->min_rev != 0);
    if (!full) {
        int have = strcmp(l->chip->name, "esp32c3") ? rev / 100 : rev % 100;
        if (have < img->min_rev)
            return err_set(e, "'%s' requires chip revision %u or higher (this chip is revision "
                           "%d). Use the force argument to flash anyway.", file, img->min_rev,
                           have);
        return 0;
    }
    if (rev >= img->min_rev_full && rev <= img->max_rev_full)
        return 0;
    char max[32] = "max rev not set";
    if (img->max_rev_full != 65535)
        snprintf(max, sizeof max, "v%u.%u", img->max_rev_full / 100, img->max_rev_full % 100);
    return err_set(e, "'%s' requires chip revision in range [v%u.%u - %s] (this chip is "
                   "revision v%d.%d). Use the force argument to flash anyway.", file,
                   img->min_rev_full / 100, img->min_rev_full % 100, max, rev / 100, rev % 100);
}

int es_check_image_chip(struct esptool *t, const char *file, const uint8_t *data, size_t len,
                        struct err *e)
{
    struct loader *l = t->l;
    if (!l->chip->has_ext_header || l->secure_download)
        return 0;                       /* esptool checks neither ESP8266 nor SDM */
    static struct iload img;
    struct found f = { false };
    struct err pe;
    if (iload_parse(data, len, l->chip, &img, on_warning, &f, &pe) != 0)
        return 0;                       /* not an image: nothing to check */
    if (f.other_chip)
        return err_set(e, "'%s' is not an an %s image. Use the force argument to flash anyway.",
                       file, l->chip->display);
    return check_revision(l, file, &img, e);
}
