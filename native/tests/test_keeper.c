/* Unit tests of the keeper's parts: timestamps, CRI line splitting, exit records.
 * TAP-like output, one "ok N - name" per test, then "native: N passed, M failed". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri_log.h"
#include "exit_record.h"
#include "timefmt.h"

static int n_tests, n_failed, cur_failed;

#define CHECK(cond)                                                                 \
  do                                                                                \
    {                                                                               \
      if (! (cond))                                                                 \
        {                                                                           \
          printf ("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
          cur_failed = 1;                                                           \
        }                                                                           \
    }                                                                               \
  while (0)

#define CHECK_STR(got, want)                                                        \
  do                                                                                \
    {                                                                               \
      const char *g_ = (got), *w_ = (want);                                         \
      if (strcmp (g_, w_) != 0)                                                     \
        {                                                                           \
          printf ("# %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_, w_); \
          cur_failed = 1;                                                           \
        }                                                                           \
    }                                                                               \
  while (0)

static void
run (const char *name, void (*fn) (void))
{
  cur_failed = 0;
  fn ();
  n_tests++;
  if (cur_failed)
    n_failed++;
  printf ("%s %d - %s\n", cur_failed ? "not ok" : "ok", n_tests, name);
}

/* ---- timestamps ---- */

static const char *
fmt (long long sec, long nsec)
{
  static char buf[TIMEFMT_LEN + 1];
  struct timespec ts = { .tv_sec = (time_t) sec, .tv_nsec = nsec };
  size_t n = timefmt_rfc3339nano (&ts, buf);
  CHECK (n == TIMEFMT_LEN && strlen (buf) == TIMEFMT_LEN);
  return buf;
}

static void
test_time_known (void)
{
  CHECK_STR (fmt (1475713029, 669794202), "2016-10-06T00:17:09.669794202Z");
}

static void
test_time_edges (void)
{
  CHECK_STR (fmt (0, 0), "1970-01-01T00:00:00.000000000Z");
  CHECK_STR (fmt (951782400, 1), "2000-02-29T00:00:00.000000001Z");
  CHECK_STR (fmt (4107542399LL, 999999999), "2100-02-28T23:59:59.999999999Z");
  CHECK_STR (fmt (253402300799LL, 5), "9999-12-31T23:59:59.000000005Z");
  CHECK_STR (fmt (-1, 0), "1969-12-31T23:59:59.000000000Z");
}

/* ---- CRI records, captured through a sink that parses what it is given ---- */

#define MAX_RECS 16
struct rec
{
  char stream[8];
  char tag;
  size_t len;
  char *text;
};
static struct rec recs[MAX_RECS];
static int n_recs;
static const struct timespec T0 = { 1475713029, 669794202 };
static const char *STAMP = "2016-10-06T00:17:09.669794202Z";

/* Records made by cri_stream_read carry the real time: only their shape is checked. */
static int fixed_clock = 1;

static int
stamp_shaped (const char *p)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

  for (int i = 0; i < TIMEFMT_LEN; i++)
    if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i])
      return 0;
  return 1;
}

static int
capture (struct cri_sink *sink, const struct iovec *iov, int iovcnt)
{
  static char line[CRI_LINE_MAX + 128];
  size_t len = 0;
  struct rec *r;
  char *p;

  for (int i = 0; i < iovcnt; i++)
    {
      if (len + iov[i].iov_len > sizeof line)
        {
          printf ("# record too long\n");
          cur_failed = 1;
          return 0;
        }
      memcpy (line + len, iov[i].iov_base, iov[i].iov_len);
      len += iov[i].iov_len;
    }
  if (n_recs == MAX_RECS)
    {
      printf ("# too many records\n");
      cur_failed = 1;
      return 0;
    }
  /* "<stamp> <stream> <P|F> <text>\n" */
  if (len < TIMEFMT_LEN + 11 || line[len - 1] != '\n' || ! stamp_shaped (line)
      || (fixed_clock && memcmp (line, STAMP, TIMEFMT_LEN) != 0) || line[TIMEFMT_LEN] != ' ')
    {
      printf ("# malformed record header\n");
      cur_failed = 1;
      return 0;
    }
  r = &recs[n_recs++];
  p = line + TIMEFMT_LEN + 1;
  memcpy (r->stream, p, 6);
  r->stream[6] = '\0';
  CHECK (p[6] == ' ' && (p[7] == 'P' || p[7] == 'F') && p[8] == ' ');
  r->tag = p[7];
  p += 9;
  r->len = (size_t) (line + len - 1 - p);
  r->text = malloc (r->len + 1);
  memcpy (r->text, p, r->len);
  r->text[r->len] = '\0';
  return 0;
}

static struct cri_sink sink = { .write_record = capture, .fd = -1 };
static struct cri_stream out, err;

static void
reset (void)
{
  for (int i = 0; i < n_recs; i++)
    free (recs[i].text);
  n_recs = 0;
  cri_stream_init (&out, "stdout", &sink);
  cri_stream_init (&err, "stderr", &sink);
}

static void
feed (struct cri_stream *s, const char *data, size_t n)
{
  CHECK (cri_stream_feed (s, data, n, &T0) == 0);
}

static void
feed_str (struct cri_stream *s, const char *str)
{
  feed (s, str, strlen (str));
}

static void
finish (struct cri_stream *s)
{
  CHECK (cri_stream_finish (s, &T0) == 0);
}

static char *
repeat (char c, size_t n, int newline)
{
  char *p = malloc (n + 2);
  memset (p, c, n);
  p[n] = newline ? '\n' : '\0';
  p[n + 1] = '\0';
  return p;
}

static int
expect (int i, const char *stream, char tag, size_t len)
{
  if (i >= n_recs)
    {
      printf ("# record %d missing (have %d)\n", i, n_recs);
      cur_failed = 1;
      return 0;
    }
  if (strcmp (recs[i].stream, stream) != 0 || recs[i].tag != tag || recs[i].len != len)
    {
      printf ("# record %d: got %s %c len %zu, want %s %c len %zu\n", i, recs[i].stream,
              recs[i].tag, recs[i].len, stream, tag, len);
      cur_failed = 1;
      return 0;
    }
  return 1;
}

static void
test_short_line (void)
{
  reset ();
  feed_str (&out, "hello world\n");
  CHECK (n_recs == 1);
  if (expect (0, "stdout", 'F', 11))
    CHECK_STR (recs[0].text, "hello world");
  finish (&out);
  CHECK (n_recs == 1);
}

static void
test_exactly_max (void)
{
  char *line = repeat ('a', CRI_LINE_MAX, 1);

  reset ();
  feed (&out, line, CRI_LINE_MAX + 1);
  CHECK (n_recs == 1);
  expect (0, "stdout", 'F', CRI_LINE_MAX);
  /* The same line with its newline arriving in a later read: still one F record. */
  reset ();
  feed (&out, line, CRI_LINE_MAX);
  CHECK (n_recs == 0);
  feed (&out, "\n", 1);
  CHECK (n_recs == 1);
  expect (0, "stdout", 'F', CRI_LINE_MAX);
  free (line);
}

static void
test_max_plus_one (void)
{
  char *line = repeat ('b', CRI_LINE_MAX + 1, 1);

  reset ();
  feed (&out, line, CRI_LINE_MAX + 2);
  CHECK (n_recs == 2);
  expect (0, "stdout", 'P', CRI_LINE_MAX);
  if (expect (1, "stdout", 'F', 1))
    CHECK_STR (recs[1].text, "b");
  free (line);
}

static void
test_20k_without_newline (void)
{
  char *line = repeat ('a', 20480, 0);

  reset ();
  feed (&out, line, 20480);
  CHECK (n_recs == 1);
  finish (&out);
  CHECK (n_recs == 3);
  expect (0, "stdout", 'P', 16384);
  expect (1, "stdout", 'P', 4096);
  expect (2, "stdout", 'F', 0);
  free (line);
}

static void
test_long_line_with_newline (void)
{
  char *line = repeat ('c', 40000, 1);

  reset ();
  feed (&out, line, 40001);
  CHECK (n_recs == 3);
  expect (0, "stdout", 'P', 16384);
  expect (1, "stdout", 'P', 16384);
  expect (2, "stdout", 'F', 40000 - 2 * 16384);
  free (line);
}

static void
test_two_lines_one_chunk (void)
{
  reset ();
  feed_str (&out, "one\ntwo\nthr");
  CHECK (n_recs == 2);
  if (expect (0, "stdout", 'F', 3))
    CHECK_STR (recs[0].text, "one");
  if (expect (1, "stdout", 'F', 3))
    CHECK_STR (recs[1].text, "two");
  feed_str (&out, "ee\n");
  if (expect (2, "stdout", 'F', 5))
    CHECK_STR (recs[2].text, "three");
}

static void
test_small_chunks (void)
{
  const char *msg = "a line that trickles in one byte at a time\n";

  reset ();
  for (const char *p = msg; *p; p++)
    {
      CHECK (n_recs == 0);
      feed (&out, p, 1);
    }
  CHECK (n_recs == 1);
  if (expect (0, "stdout", 'F', strlen (msg) - 1))
    CHECK_STR (recs[0].text, "a line that trickles in one byte at a time");
}

static void
test_long_line_small_chunks (void)
{
  reset ();
  for (int i = 0; i < 20000; i++)
    feed (&out, "x", 1);
  CHECK (n_recs == 1);
  feed (&out, "\n", 1);
  CHECK (n_recs == 2);
  expect (0, "stdout", 'P', 16384);
  expect (1, "stdout", 'F', 20000 - 16384);
}

static void
test_empty_lines (void)
{
  reset ();
  feed_str (&out, "\n\nx\n");
  CHECK (n_recs == 3);
  expect (0, "stdout", 'F', 0);
  expect (1, "stdout", 'F', 0);
  expect (2, "stdout", 'F', 1);
}

static void
test_stderr_tag_and_separate_buffers (void)
{
  reset ();
  feed_str (&out, "abc");
  feed_str (&err, "oops\n");
  feed_str (&out, "def\n");
  CHECK (n_recs == 2);
  if (expect (0, "stderr", 'F', 4))
    CHECK_STR (recs[0].text, "oops");
  if (expect (1, "stdout", 'F', 6))
    CHECK_STR (recs[1].text, "abcdef");
}

static void
test_finish_partial (void)
{
  reset ();
  finish (&out);
  CHECK (n_recs == 0);
  feed_str (&err, "no newline");
  finish (&err);
  CHECK (n_recs == 2);
  if (expect (0, "stderr", 'P', 10))
    CHECK_STR (recs[0].text, "no newline");
  expect (1, "stderr", 'F', 0);
  finish (&err);
  CHECK (n_recs == 2);
}

static void
test_read_from_pipe (void)
{
  int p[2];

  reset ();
  fixed_clock = 0;
  CHECK (pipe (p) == 0);
  CHECK (write (p[1], "x\ny", 3) == 3);
  CHECK (cri_stream_read (&out, p[0]) == 3);
  close (p[1]);
  CHECK (cri_stream_read (&out, p[0]) == 0);
  close (p[0]);
  CHECK (n_recs == 1);
  if (expect (0, "stdout", 'F', 1))
    CHECK_STR (recs[0].text, "x");
  finish (&out);
  CHECK (n_recs == 3);
  expect (1, "stdout", 'P', 1);
  expect (2, "stdout", 'F', 0);
  fixed_clock = 1;
}

static char tmpdir[] = "/tmp/podshim-native-test.XXXXXX";

static char *
slurp (const char *path)
{
  static char buf[4096];
  int fd = open (path, O_RDONLY);
  ssize_t n;

  buf[0] = '\0';
  if (fd < 0)
    return buf;
  n = read (fd, buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  close (fd);
  return buf;
}

static void
test_fd_sink_exact_bytes (void)
{
  char path[256];
  struct cri_sink fsink;
  struct cri_stream s;
  int fd;

  snprintf (path, sizeof path, "%s/log", tmpdir);
  fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640);
  CHECK (fd >= 0);
  cri_sink_init_fd (&fsink, fd, path);
  cri_stream_init (&s, "stdout", &fsink);
  CHECK (cri_stream_feed (&s, "hello\n\npartial", 14, &T0) == 0);
  CHECK (cri_stream_finish (&s, &T0) == 0);
  close (fd);
  CHECK_STR (slurp (path), "2016-10-06T00:17:09.669794202Z stdout F hello\n"
                           "2016-10-06T00:17:09.669794202Z stdout F \n"
                           "2016-10-06T00:17:09.669794202Z stdout P partial\n"
                           "2016-10-06T00:17:09.669794202Z stdout F \n");
  unlink (path);
}

/* ---- exit records ---- */

static const char *
json_of (const struct exit_record *r)
{
  static char buf[256];
  size_t n = exit_record_format (r, buf, sizeof buf);
  CHECK (n == strlen (buf));
  return buf;
}

static struct exit_record
record (int code, int status, int started)
{
  struct exit_record r = {
    .pid = 4242,
    .started = started,
    .started_at = { 1475713029, 669794202 },
    .finished_at = { 1475713031, 5 },
  };
  exit_record_set_status (&r, code, status);
  return r;
}

static void
test_exit_zero (void)
{
  struct exit_record r = record (CLD_EXITED, 0, 1);
  CHECK_STR (json_of (&r), "{\"pid\":4242,\"started\":true,\"exitCode\":0,\"signal\":0,"
                           "\"startedAt\":\"2016-10-06T00:17:09.669794202Z\","
                           "\"finishedAt\":\"2016-10-06T00:17:11.000000005Z\",\"oomKilled\":false}\n");
}

static void
test_exit_three (void)
{
  struct exit_record r = record (CLD_EXITED, 3, 1);
  CHECK (r.exit_code == 3 && r.signal == 0);
  CHECK_STR (json_of (&r), "{\"pid\":4242,\"started\":true,\"exitCode\":3,\"signal\":0,"
                           "\"startedAt\":\"2016-10-06T00:17:09.669794202Z\","
                           "\"finishedAt\":\"2016-10-06T00:17:11.000000005Z\",\"oomKilled\":false}\n");
}

static void
test_exit_signal_nine (void)
{
  struct exit_record r = record (CLD_KILLED, SIGKILL, 1);
  struct exit_record d = record (CLD_DUMPED, SIGSEGV, 1);

  r.oom_killed = true;
  CHECK (r.exit_code == 137 && r.signal == 9);
  CHECK (d.exit_code == 139 && d.signal == 11);
  CHECK_STR (json_of (&r), "{\"pid\":4242,\"started\":true,\"exitCode\":137,\"signal\":9,"
                           "\"startedAt\":\"2016-10-06T00:17:09.669794202Z\","
                           "\"finishedAt\":\"2016-10-06T00:17:11.000000005Z\",\"oomKilled\":true}\n");
}

static void
test_exit_never_started (void)
{
  struct exit_record r = record (CLD_EXITED, 0, 0);
  CHECK_STR (json_of (&r), "{\"pid\":4242,\"started\":false,\"exitCode\":0,\"signal\":0,"
                           "\"startedAt\":null,"
                           "\"finishedAt\":\"2016-10-06T00:17:11.000000005Z\",\"oomKilled\":false}\n");
}

static void
test_exit_write_atomic (void)
{
  struct exit_record r = record (CLD_EXITED, 3, 1);
  char path[256], tmp[300], want[256];
  int saved, devnull;

  snprintf (path, sizeof path, "%s/exit.json", tmpdir);
  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  CHECK (exit_record_write (&r, path) == 0);
  exit_record_format (&r, want, sizeof want);
  CHECK_STR (slurp (path), want);
  CHECK (access (tmp, F_OK) < 0 && errno == ENOENT);
  unlink (path);

  /* A missing directory fails cleanly; its message goes to /dev/null here. */
  snprintf (path, sizeof path, "%s/missing/exit.json", tmpdir);
  fflush (stderr);
  saved = dup (2);
  devnull = open ("/dev/null", O_WRONLY);
  dup2 (devnull, 2);
  CHECK (exit_record_write (&r, path) < 0);
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  close (devnull);
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK (fd >= 0);
  CHECK (write (fd, text, strlen (text)) == (ssize_t) strlen (text));
  close (fd);
}

static void
test_oom_kill (void)
{
  char path[256];

  snprintf (path, sizeof path, "%s/memory.events", tmpdir);
  CHECK (! cgroup_oom_killed (tmpdir)); /* no file: no memory controller */
  write_file (path, "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
  CHECK (cgroup_oom_killed (tmpdir));
  write_file (path, "low 0\nhigh 0\nmax 0\noom 2\noom_kill 0\noom_group_kill 0\n");
  CHECK (! cgroup_oom_killed (tmpdir));
  write_file (path, "oom_group_kill 3\noom_kill 0\n");
  CHECK (! cgroup_oom_killed (tmpdir));
  write_file (path, "oom_kill 7");
  CHECK (cgroup_oom_killed (tmpdir));
  unlink (path);
}

int
main (void)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }

  run ("timestamp of a known instant", test_time_known);
  run ("timestamp edges: epoch, leap day, 2100, 9999, negative", test_time_edges);
  run ("short line gives one F record", test_short_line);
  run ("line of exactly 16384 bytes is one F, however chunked", test_exactly_max);
  run ("line of 16385 bytes gives P(16384) F(1)", test_max_plus_one);
  run ("20 KiB without newline gives P(16384) P(4096) F(0)", test_20k_without_newline);
  run ("40000-byte line gives P P F", test_long_line_with_newline);
  run ("two lines in one chunk, third completed later", test_two_lines_one_chunk);
  run ("line split across many small chunks", test_small_chunks);
  run ("20000-byte line one byte at a time", test_long_line_small_chunks);
  run ("empty lines give F with empty text", test_empty_lines);
  run ("stderr tag, streams buffered separately", test_stderr_tag_and_separate_buffers);
  run ("EOF flushes a partial line as P + F(empty)", test_finish_partial);
  run ("cri_stream_read from a pipe", test_read_from_pipe);
  run ("fd sink writes exact CRI bytes", test_fd_sink_exact_bytes);
  run ("exit.json for exit 0", test_exit_zero);
  run ("exit.json for exit 3", test_exit_three);
  run ("exit.json for SIGKILL is 137/9 (and SIGSEGV core 139/11)", test_exit_signal_nine);
  run ("exit.json when never started", test_exit_never_started);
  run ("exit.json written atomically, no temp left", test_exit_write_atomic);
  run ("oom_kill read from memory.events", test_oom_kill);

  reset ();
  rmdir (tmpdir);
  printf ("native: %d passed, %d failed\n", n_tests - n_failed, n_failed);
  return n_failed ? 1 : 0;
}
