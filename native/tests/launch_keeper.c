/* Test launcher: sets up a container process and its keeper the way libpodshim does,
 * without namespaces, so keeper_smoke.sh can drive the real podshim-keeper.
 *
 *   launch_keeper [--no-go] [--signal-keeper] [--cgroup DIR] KEEPER LOG EXIT_FILE CMD
 *
 * The launcher forks a process K that forks the "container" C (held on the go pipe, then
 * `/bin/sh -c CMD` with stdout/stderr on pipes) and execs the keeper, so C is the keeper's
 * child. The launcher itself plays the supervisor: it keeps the control pipe, writes 'g'
 * and closes it (or, with --no-go, closes it without 'g'), optionally sends the keeper
 * SIGTERM/SIGHUP/SIGINT (which it must ignore), then waits for the keeper and exits with
 * its status. The keeper's pid is printed on stderr as "keeper-pid N". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void __attribute__ ((noreturn))
die (const char *what)
{
  fprintf (stderr, "launch_keeper: %s: %s\n", what, strerror (errno));
  exit (120);
}

int
main (int argc, char **argv)
{
  int go = 1, signal_keeper = 0, i = 1;
  const char *cgroup = NULL;
  int control[2], gop[2], out[2], err[2];
  pid_t keeper;
  int status;

  for (; i < argc && strncmp (argv[i], "--", 2) == 0; i++)
    if (strcmp (argv[i], "--no-go") == 0)
      go = 0;
    else if (strcmp (argv[i], "--signal-keeper") == 0)
      signal_keeper = 1;
    else if (strcmp (argv[i], "--cgroup") == 0 && i + 1 < argc)
      cgroup = argv[++i];
    else
      break;
  if (argc - i != 4)
    {
      fprintf (stderr, "usage: launch_keeper [--no-go] [--signal-keeper] [--cgroup DIR] "
                       "KEEPER LOG EXIT_FILE CMD\n");
      return 2;
    }
  const char *keeper_path = argv[i], *log = argv[i + 1], *exit_file = argv[i + 2];
  const char *cmd = argv[i + 3];

  /* The supervisor would die of SIGPIPE otherwise, if the keeper is already gone. */
  signal (SIGPIPE, SIG_IGN);
  if (pipe (control) < 0 || pipe (gop) < 0 || pipe (out) < 0 || pipe (err) < 0)
    die ("pipe");

  keeper = fork ();
  if (keeper < 0)
    die ("fork");
  if (keeper == 0)
    {
      char a_pid[16], a_pidfd[16], a_out[16], a_err[16], a_ctl[16], a_go[16];
      const char *args[24];
      int n = 0, pidfd;
      pid_t c;

      close (control[1]);
      c = fork ();
      if (c < 0)
        die ("fork");
      if (c == 0)
        {
          char b;

          /* The container: held until go, like libpodshim's child before execve. */
          signal (SIGPIPE, SIG_DFL);
          close (control[0]);
          close (gop[1]);
          close (out[0]);
          close (err[0]);
          if (dup2 (out[1], 1) < 0 || dup2 (err[1], 2) < 0)
            _exit (121);
          close (out[1]);
          close (err[1]);
          if (read (gop[0], &b, 1) != 1)
            _exit (0);
          close (gop[0]);
          execl ("/bin/sh", "sh", "-c", cmd, (char *) NULL);
          _exit (127);
        }
      close (gop[0]);
      close (out[1]);
      close (err[1]);
      pidfd = (int) syscall (SYS_pidfd_open, c, 0);
      /* pidfds are always close-on-exec; the keeper must inherit this one. */
      if (pidfd < 0 || fcntl (pidfd, F_SETFD, 0) < 0)
        die ("pidfd_open");
      snprintf (a_pid, sizeof a_pid, "%d", (int) c);
      snprintf (a_pidfd, sizeof a_pidfd, "%d", pidfd);
      snprintf (a_out, sizeof a_out, "%d", out[0]);
      snprintf (a_err, sizeof a_err, "%d", err[0]);
      snprintf (a_ctl, sizeof a_ctl, "%d", control[0]);
      snprintf (a_go, sizeof a_go, "%d", gop[1]);
      args[n++] = keeper_path;
      args[n++] = "--log", args[n++] = log;
      args[n++] = "--exit-file", args[n++] = exit_file;
      args[n++] = "--pid", args[n++] = a_pid;
      args[n++] = "--pidfd", args[n++] = a_pidfd;
      args[n++] = "--stdout-fd", args[n++] = a_out;
      args[n++] = "--stderr-fd", args[n++] = a_err;
      args[n++] = "--control-fd", args[n++] = a_ctl;
      args[n++] = "--go-fd", args[n++] = a_go;
      if (cgroup)
        args[n++] = "--cgroup", args[n++] = cgroup;
      args[n] = NULL;
      execv (keeper_path, (char *const *) args);
      die ("execv keeper");
    }

  /* The supervisor side keeps only the control pipe's write end. */
  close (control[0]);
  close (gop[0]);
  close (gop[1]);
  close (out[0]);
  close (out[1]);
  close (err[0]);
  close (err[1]);
  fprintf (stderr, "keeper-pid %d\n", (int) keeper);

  if (go && write (control[1], "g", 1) != 1)
    die ("write control pipe");
  if (signal_keeper)
    {
      /* Give the keeper time to exec and set its dispositions first. */
      usleep (50 * 1000);
      kill (keeper, SIGTERM);
      kill (keeper, SIGHUP);
      kill (keeper, SIGINT);
    }
  /* EOF on the control pipe: after 'g' normal (a dead supervisor), before it an abort. */
  close (control[1]);

  while (waitpid (keeper, &status, 0) < 0)
    if (errno != EINTR)
      die ("waitpid");
  if (WIFSIGNALED (status))
    {
      fprintf (stderr, "launch_keeper: keeper killed by signal %d\n", WTERMSIG (status));
      return 128 + WTERMSIG (status);
    }
  return WEXITSTATUS (status);
}
