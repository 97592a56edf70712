#include "json_image.h"

static void descriptor(struct json *j, const struct image_info *img)
{
    if (img->has_app_desc) {
        json_obj(j, "app_desc");
        json_str(j, "project", img->app.project_name);
        json_str(j, "version", img->app.version);
        json_str(j, "idf", img->app.idf_ver);
        json_strf(j, "built", "%s %s", img->app.date, img->app.time);
        json_hex(j, "elf_sha256", img->app.elf_sha256, 32);
        json_int(j, "secure_version", img->app.secure_version);
        json_end(j);
    } else if (img->has_boot_desc) {
        json_obj(j, "boot_desc");
        json_int(j, "version", img->boot.version);
        json_str(j, "idf", img->boot.idf_ver);
        json_str(j, "built", img->boot.date_time);
        json_end(j);
    }
}

void json_image(struct json *j, const char *key, const struct image_info *img, bool checked)
{
    json_obj(j, key);
    json_str(j, "chip", img->chip ? img->chip->name : NULL);
    json_int(j, "entry", img->entry);
    json_int(j, "segments", img->segment_count);
    json_int(j, "length", img->total_len);
    uint32_t fs = image_size_from_code(img->flash_size_code);
    if (fs)
        json_int(j, "flash_size", fs);
    else
        json_null(j, "flash_size");
    json_str(j, "flash_mode", image_mode_name(img->flash_mode));
    json_strf(j, "min_rev", "v%u.%u", img->min_rev_full / 100, img->min_rev_full % 100);
    json_strf(j, "max_rev", "v%u.%u", img->max_rev_full / 100, img->max_rev_full % 100);
    if (checked) {
        json_bool(j, "checksum_ok", img->checksum_ok);
        if (img->hash_appended)
            json_bool(j, "sha256_ok", img->sha_ok);
        else
            json_null(j, "sha256_ok");
    }
    descriptor(j, img);
    json_end(j);
}
