#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_record.h"
#include "timefmt.h"
#include "util.h"

void
exit_record_set_status (struct exit_record *r, int code, int status)
{
  if (code == CLD_KILLED || code == CLD_DUMPED)
    {
      r->exit_code = 128 + status;
      r->signal = status;
    }
  else
    {
      r->exit_code = status;
      r->signal = 0;
    }
}

size_t
exit_record_format (const struct exit_record *r, char *buf, size_t size)
{
  char started[TIMEFMT_LEN + 3] = "null";
  char finished[TIMEFMT_LEN + 1];
  int n;

  if (r->started)
    {
      started[0] = '"';
      timefmt_rfc3339nano (&r->started_at, started + 1);
      strcpy (started + 1 + TIMEFMT_LEN, "\"");
    }
  timefmt_rfc3339nano (&r->finished_at, finished);
  n = snprintf (buf, size,
                "{\"pid\":%d,\"started\":%s,\"exitCode\":%d,\"signal\":%d,"
                "\"startedAt\":%s,\"finishedAt\":\"%s\",\"oomKilled\":%s}\n",
                (int) r->pid, r->started ? "true" : "false", r->exit_code, r->signal,
                started, finished, r->oom_killed ? "true" : "false");
  return n < 0 ? 0 : (size_t) n;
}

/* Temp file + rename: readers see the old file or the whole new one. No fsync: the exit
   record sits on the "exit observed" path, and after a power loss no container is left whose
   exit would matter. */
int
exit_record_write (const struct exit_record *r, const char *path)
{
  char tmp[PATH_MAX];
  char json[256];
  size_t len = exit_record_format (r, json, sizeof json);
  int fd, saved;

  if (len >= sizeof json)
    {
      keeper_error (0, "format exit record for `%s`: too long", path);
      return -1;
    }
  if ((size_t) snprintf (tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
    {
      keeper_error (ENAMETOOLONG, "open `%s.tmp`", path);
      return -1;
    }
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0)
    {
      keeper_error (errno, "open `%s`", tmp);
      return -1;
    }
  if (write_all (fd, json, len) < 0)
    {
      keeper_error (errno, "write `%s`", tmp);
      goto fail;
    }
  if (close (fd) < 0)
    {
      fd = -1;
      keeper_error (errno, "close `%s`", tmp);
      goto fail;
    }
  fd = -1;
  if (rename (tmp, path) < 0)
    {
      keeper_error (errno, "rename `%s` to `%s`", tmp, path);
      goto fail;
    }
  return 0;

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  errno = saved;
  return -1;
}

bool
cgroup_oom_killed (const char *cgroup_dir)
{
  char path[PATH_MAX];
  char buf[1024];
  size_t len = 0;
  ssize_t n;
  int fd;

  if ((size_t) snprintf (path, sizeof path, "%s/memory.events", cgroup_dir) >= sizeof path)
    return false;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  /* memory.events is a handful of short "key value" lines. */
  while (len < sizeof buf - 1 && (n = read (fd, buf + len, sizeof buf - 1 - len)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      len += (size_t) n;
    }
  close (fd);
  buf[len] = '\0';

  for (char *line = buf; *line != '\0';)
    {
      char *end = strchr (line, '\n');

      /* "oom_kill " exactly: memory.events also has "oom" and "oom_group_kill". */
      if (strncmp (line, "oom_kill ", 9) == 0)
        return strtoull (line + 9, NULL, 10) > 0;
      if (end == NULL)
        break;
      line = end + 1;
    }
  return false;
}
