/* CRI container log format, as the kubelet reads it:
 *   2016-10-06T00:17:09.669794202Z stdout F text
 * A line longer than CRI_LINE_MAX is cut into P (partial) records; the F record ends it. */
#ifndef KEEPER_CRI_LOG_H
#define KEEPER_CRI_LOG_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#define CRI_LINE_MAX 16384

/* Where whole records go. write_record gets one record as IOVCNT pieces (header, text,
 * "\n") and must write it with one call, so records of two streams never interleave. */
struct cri_sink
{
  int (*write_record) (struct cri_sink *sink, const struct iovec *iov, int iovcnt);
  void *opaque;
  int fd;
  int failed;       /* a write failed: reported once, later records are still attempted */
  const char *path; /* for error messages */
};

/* A sink that appends to FD with writev(). */
void cri_sink_init_fd (struct cri_sink *sink, int fd, const char *path);

struct cri_stream
{
  const char *name; /* "stdout" or "stderr" */
  struct cri_sink *sink;
  size_t len;
  /* One byte more than a line can hold: a full buffer is only cut into a P record once
   * the next byte is known not to be the newline, so a line of exactly CRI_LINE_MAX
   * bytes is one F record however the data was chunked. */
  char buf[CRI_LINE_MAX + 1];
};

void cri_stream_init (struct cri_stream *s, const char *name, struct cri_sink *sink);

/* Adds N bytes of output received at NOW and writes every record they complete.
 * Returns 0, or -1 if a record could not be written (the data is dropped, not kept). */
int cri_stream_feed (struct cri_stream *s, const char *data, size_t n, const struct timespec *now);

/* One read() from FD straight into the line buffer, stamped with the time it returned.
 * Returns the byte count, 0 at EOF, -1 with errno set (EAGAIN/EINTR included). */
ssize_t cri_stream_read (struct cri_stream *s, int fd);

/* The stream ended: a pending unterminated line becomes P(text) + F(""). */
int cri_stream_finish (struct cri_stream *s, const struct timespec *now);

#endif
