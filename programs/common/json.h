/* The one JSON writer of the front ends (--json): a document built in
 * memory while a run goes on, printed once at the end, so that stdout holds
 * one document and nothing else whatever the run printed or where it
 * stopped.  Keys and values go in as they come; the writer adds the commas
 * and escapes strings (RFC 8259: quotes, backslashes, control characters;
 * bytes that are not UTF-8 become U+FFFD, so a name from a filesystem
 * image cannot break the document).  Out of memory, the document says so
 * when printed.  The schema of the documents: README.md, "JSON output".
 *
 *   struct json j = { 0 };
 *   json_obj(&j, NULL);  json_str(&j, "schema", "...");  json_end(&j);
 *   fputs(json_text(&j), stdout);  json_free(&j);
 *
 * `key` is NULL inside arrays and for the top-level value. */
#ifndef MPI_JSON_H
#define MPI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH 32

struct json {
    char *buf;
    size_t len, cap;
    int depth;
    bool more[JSON_DEPTH];   /* a value was written at this depth: a comma next */
    char close[JSON_DEPTH];  /* what closes the object or array open at this depth */
    bool failed;             /* out of memory, or nested too deep */
};

void json_obj(struct json *j, const char *key);
void json_arr(struct json *j, const char *key);
void json_end(struct json *j);                 /* closes the innermost object or array */
void json_str(struct json *j, const char *key, const char *v);   /* NULL: null */
void json_strf(struct json *j, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void json_int(struct json *j, const char *key, int64_t v);
void json_num(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* A hex string of n bytes ("md5": "9e10..."). */
void json_hex(struct json *j, const char *key, const uint8_t *b, size_t n);
/* A value that is a whole JSON text already (a part built elsewhere, such
 * as one board's result in a run over many). */
void json_raw(struct json *j, const char *key, const char *text);
/* The document so far (closing what is open is the caller's part). */
const char *json_text(struct json *j);
void json_free(struct json *j);

#endif
