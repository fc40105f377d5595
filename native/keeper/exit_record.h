/* exit.json: how a container attempt ended, written once by its keeper. */
#ifndef KEEPER_EXIT_RECORD_H
#define KEEPER_EXIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct exit_record
{
  pid_t pid;
  bool started;
  int exit_code;
  int signal;
  struct timespec started_at;  /* meaningful only if started */
  struct timespec finished_at;
  bool oom_killed;
};

/* Fills exit_code/signal from waitid()'s si_code (CODE) and si_status (STATUS): a normal exit gives its
 * status, death by signal n gives 128+n and signal n (shell convention). */
void exit_record_set_status (struct exit_record *r, int code, int status);

/* The one-line JSON object, newline included. Returns its length, or the length it
 * would have (like snprintf) if SIZE is too small. */
size_t exit_record_format (const struct exit_record *r, char *buf, size_t size);

/* Writes PATH atomically: PATH.tmp, fsync, rename, fsync of the directory, so a reader
 * sees no file or the whole file, also after a crash. 0 or -1 (reported on stderr). */
int exit_record_write (const struct exit_record *r, const char *path);

/* Whether CGROUP_DIR/memory.events has "oom_kill N" with N > 0. A missing or unreadable
 * file (no memory controller) means no. */
bool cgroup_oom_killed (const char *cgroup_dir);

#endif
