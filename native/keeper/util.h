/* Small helpers shared by the keeper's parts. */
#ifndef KEEPER_UTIL_H
#define KEEPER_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Prints "podshim-keeper: <message>[: strerror(ERRNUM)]" to stderr; ERRNUM 0 adds nothing. */
void keeper_error (int errnum, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* write() until done, retrying on EINTR and short writes; 0 or -1 with errno set. */
int write_all (int fd, const void *buf, size_t len);

#endif
