/* Many boards at once (esptool --port A,B,...; mp-image-tool-esp32 --flash
 * A,B,... or --flash all): one thread per board.
 *
 * Why threads and not an event loop: the loader is written as straight
 * blocking code (send, wait for the reply with a deadline, resend), with
 * its retries, fences and guards in that flow; an event loop would need it
 * rewritten as a state machine per command.  A board's work is I/O bound
 * (a core hashes and deflates 1.7 MB in a fraction of a second, the line
 * takes 15 s), each board has its own loader, port and buffers, and what
 * the threads share is only the terminal: output goes through here, under
 * one lock.  A board that fails ends its own thread only.
 *
 * Output: on a terminal each board has its own line, redrawn in place
 * (its port, its chip, a bar for the step it is in, or its last message);
 * elsewhere each line is prefixed with the board's port.  At the end a
 * table: port, chip, MAC, result, time. */
#ifndef MPI_BOARDS_H
#define MPI_BOARDS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "json.h"

struct board {
    const char *port;          /* as the user gave it */
    int index;
    char chip[32];             /* filled by the job once known */
    char mac[18];
    int rc;                    /* 0: done; -1: failed */
    char msg[512];             /* the error */
    double secs;
    struct json result;        /* the job's JSON object for this board (optional) */
    /* the board's line (boards.c) */
    char line[160];
    bool line_bar;
    uint64_t done, total;
    int quarter;
};

typedef int (*board_job)(struct board *b, void *ctx, struct err *e);

/* Run `job` on every board at once; returns the number that failed.  The
 * table is printed (unless `quiet`) to stdout, or to stderr when stdout is
 * for a JSON document. */
int boards_run(struct board *b, int n, board_job job, void *ctx, bool quiet, bool json);

/* The board this thread works for, NULL outside boards_run. */
struct board *board_self(void);
/* A line of the board's output: its line on a terminal, a prefixed line
 * elsewhere. */
void board_say(struct board *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Its progress in the step `what`. */
void board_progress(struct board *b, const char *what, uint64_t done, uint64_t total);

/* --json: a board's port, chip, MAC, ok, seconds and error as fields of
 * the object open in `j`. */
void board_json_fields(struct json *j, const struct board *b);

/* Split "A,B,C" (or "all": the ESP boards found by USB id) into ports; a
 * list of one is one board.  Returns the count, or -1 with e set. */
int boards_parse(const char *list, char ***ports, struct err *e);
void boards_free_ports(char **ports, int n);

#endif
