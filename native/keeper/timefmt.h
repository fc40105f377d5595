/* RFC 3339 timestamps with nanoseconds, as CRI log lines and exit.json use them. */
#ifndef KEEPER_TIMEFMT_H
#define KEEPER_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* "2016-10-06T00:17:09.669794202Z": always 30 characters. */
#define TIMEFMT_LEN 30

/* Writes the UTC time TS into BUF (TIMEFMT_LEN + 1 bytes, NUL-terminated) and returns
 * TIMEFMT_LEN. Years outside 0000..9999 are clamped: they cannot be written in 4 digits. */
size_t timefmt_rfc3339nano (const struct timespec *ts, char *buf);

#endif
