#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cri_log.h"
#include "timefmt.h"
#include "util.h"

static int
fd_write_record (struct cri_sink *sink, const struct iovec *iov, int iovcnt)
{
  struct iovec v[4];
  size_t total = 0;

  if (iovcnt > 4)
    {
      errno = EINVAL;
      return -1;
    }
  memcpy (v, iov, sizeof v[0] * (size_t) iovcnt);
  for (int i = 0; i < iovcnt; i++)
    total += v[i].iov_len;

  /* Normally a single writev; the loop only matters for a short write (disk full). */
  while (total > 0)
    {
      ssize_t n = writev (sink->fd, v, iovcnt);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      total -= (size_t) n;
      for (int i = 0; i < iovcnt && n > 0; i++)
        {
          size_t k = (size_t) n < v[i].iov_len ? (size_t) n : v[i].iov_len;
          v[i].iov_base = (char *) v[i].iov_base + k;
          v[i].iov_len -= k;
          n -= (ssize_t) k;
        }
    }
  return 0;
}

void
cri_sink_init_fd (struct cri_sink *sink, int fd, const char *path)
{
  memset (sink, 0, sizeof *sink);
  sink->write_record = fd_write_record;
  sink->fd = fd;
  sink->path = path;
}

void
cri_stream_init (struct cri_stream *s, const char *name, struct cri_sink *sink)
{
  s->name = name;
  s->sink = sink;
  s->len = 0;
}

static int
emit (struct cri_stream *s, const char *stamp, char tag, const char *text, size_t len)
{
  char head[TIMEFMT_LEN + 16];
  size_t hl = strlen (stamp);
  size_t nl = strlen (s->name);
  struct iovec iov[3];

  memcpy (head, stamp, hl);
  head[hl++] = ' ';
  memcpy (head + hl, s->name, nl);
  hl += nl;
  head[hl++] = ' ';
  head[hl++] = tag;
  head[hl++] = ' ';

  iov[0].iov_base = head;
  iov[0].iov_len = hl;
  iov[1].iov_base = (void *) text;
  iov[1].iov_len = len;
  iov[2].iov_base = "\n";
  iov[2].iov_len = 1;

  if (s->sink->write_record (s->sink, iov, 3) < 0)
    {
      /* Once is enough: stderr may be a terminal in tests, and the next record will
       * most likely fail the same way. */
      if (! s->sink->failed)
        keeper_error (errno, "write `%s`", s->sink->path ? s->sink->path : "log");
      s->sink->failed = 1;
      return -1;
    }
  return 0;
}

/* Writes every record that the buffered bytes complete and keeps the rest. */
static int
process (struct cri_stream *s, const struct timespec *now)
{
  char stamp[TIMEFMT_LEN + 1];
  size_t off = 0;
  int ret = 0;

  timefmt_rfc3339nano (now, stamp);
  while (off < s->len)
    {
      size_t avail = s->len - off;
      size_t lim = avail < CRI_LINE_MAX + 1 ? avail : CRI_LINE_MAX + 1;
      char *start = s->buf + off;
      char *nl = memchr (start, '\n', lim);

      if (nl)
        {
          if (emit (s, stamp, 'F', start, (size_t) (nl - start)) < 0)
            ret = -1;
          off += (size_t) (nl - start) + 1;
        }
      else if (avail > CRI_LINE_MAX)
        {
          /* A full line's worth and the next byte is not its end. */
          if (emit (s, stamp, 'P', start, CRI_LINE_MAX) < 0)
            ret = -1;
          off += CRI_LINE_MAX;
        }
      else
        break;
    }
  if (off > 0)
    {
      memmove (s->buf, s->buf + off, s->len - off);
      s->len -= off;
    }
  return ret;
}

int
cri_stream_feed (struct cri_stream *s, const char *data, size_t n, const struct timespec *now)
{
  int ret = 0;

  while (n > 0)
    {
      /* process() leaves at most CRI_LINE_MAX bytes, so there is always room. */
      size_t room = sizeof s->buf - s->len;
      size_t k = n < room ? n : room;

      memcpy (s->buf + s->len, data, k);
      s->len += k;
      data += k;
      n -= k;
      if (process (s, now) < 0)
        ret = -1;
    }
  return ret;
}

ssize_t
cri_stream_read (struct cri_stream *s, int fd)
{
  struct timespec now;
  ssize_t n = read (fd, s->buf + s->len, sizeof s->buf - s->len);

  if (n <= 0)
    return n;
  clock_gettime (CLOCK_REALTIME, &now);
  s->len += (size_t) n;
  process (s, &now);
  return n;
}

int
cri_stream_finish (struct cri_stream *s, const struct timespec *now)
{
  char stamp[TIMEFMT_LEN + 1];
  int ret = 0;

  /* process() already cut everything longer than a line; what is left fits one P. */
  if (s->len == 0)
    return 0;
  timefmt_rfc3339nano (now, stamp);
  if (emit (s, stamp, 'P', s->buf, s->len) < 0)
    ret = -1;
  if (emit (s, stamp, 'F', "", 0) < 0)
    ret = -1;
  s->len = 0;
  return ret;
}
