/* podshim-keeper: the parent of one container process (PodShim's conmon).
 *
 * Started by libpodshim's ps_spawn with --spec-fd, we create the container ourselves
 * (native/lib/container.c), so it is our child, held before its execve until it reads a
 * byte from the go pipe. (Without --spec-fd we attach to a child the launcher already
 * created: --pid, --pidfd, --stdout-fd, --stderr-fd, --go-fd; the native tests use that.) We copy its stdout/stderr into a CRI log, let it go when the
 * supervisor says so, wait for it and write exit.json. We outlive the supervisor: it keeps
 * no state that this process owns. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/child.h"
#include "cri_log.h"
#include "exit_record.h"
#include "util.h"

#ifndef PODSHIM_VERSION
#define PODSHIM_VERSION "0.1.0"
#endif

/* After the container exited, stop reading its pipes after this long without data (a
 * grandchild may hold them open) or this long in total (it may never stop writing). */
#define DRAIN_IDLE_MS 200
#define DRAIN_TOTAL_MS 1000

/* Slots in the poll set. */
enum { K_CONTROL, K_STDOUT, K_STDERR, K_PIDFD, K_NFDS };

struct keeper
{
  const char *log_path;
  const char *exit_path;
  const char *cgroup_dir;
  pid_t pid;
  int pidfd;
  int stdout_fd;
  int stderr_fd;
  int control_fd;
  int go_fd;
  int spec_fd;
  int status_fd;
  int log_fd;
  bool exited;
  struct exit_record rec;
  struct cri_sink sink;
};

static struct keeper k = {
  .pidfd = -1, .stdout_fd = -1, .stderr_fd = -1, .control_fd = -1, .go_fd = -1, .log_fd = -1,
  .spec_fd = -1, .status_fd = -1,
};
/* Static rather than on the stack or heap: 2 x 16 KiB that are only touched as needed. */
static struct cri_stream out_stream, err_stream;

static int
pidfd_send_signal (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void
close_go (void)
{
  if (k.go_fd >= 0)
    close (k.go_fd);
  k.go_fd = -1;
}

/* Whether PID is our own unreaped child, whose pid therefore cannot have been reused. */
static bool
is_our_child (pid_t pid)
{
  siginfo_t si;

  return pid > 0 && waitid (P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static void
kill_container (void)
{
  if (pidfd_send_signal (k.pidfd, SIGKILL) == 0 || errno == ESRCH)
    return;
  if (errno == EBADF && is_our_child (k.pid))
    {
      /* A bad --pidfd: the pid of our own child is just as safe. */
      if (kill (k.pid, SIGKILL) < 0 && errno != ESRCH)
        keeper_error (errno, "kill `%d`", (int) k.pid);
      return;
    }
  keeper_error (errno, "pidfd_send_signal `%d`", (int) k.pid);
}

/* Collects the container's exit status; FLAGS may add WNOHANG. Returns 1 when reaped. */
static int
reap (int flags)
{
  siginfo_t si;
  int ret;

  memset (&si, 0, sizeof si);
  ret = waitid (P_PIDFD, (id_t) k.pidfd, &si, WEXITED | flags);
  if (ret < 0 && (errno == EINVAL || errno == EBADF) && k.pid > 0)
    /* A kernel without P_PIDFD (before 5.4), or a bad --pidfd: the pid is still ours
     * until reaped (and if it is not our child, waitid says ECHILD). */
    ret = waitid (P_PID, (id_t) k.pid, &si, WEXITED | flags);
  if (ret < 0)
    {
      if (errno != EINTR)
        keeper_error (errno, "waitid `%d`", (int) k.pid);
      return -1;
    }
  if (si.si_pid == 0)
    return 0;
  clock_gettime (CLOCK_REALTIME, &k.rec.finished_at);
  exit_record_set_status (&k.rec, si.si_code, si.si_status);
  k.exited = true;
  return 1;
}

static void
finish_streams (void)
{
  struct timespec now;

  clock_gettime (CLOCK_REALTIME, &now);
  if (k.log_fd >= 0)
    {
      cri_stream_finish (&out_stream, &now);
      cri_stream_finish (&err_stream, &now);
    }
}

static int
write_exit (void)
{
  if (! k.exited)
    clock_gettime (CLOCK_REALTIME, &k.rec.finished_at);
  if (k.cgroup_dir)
    k.rec.oom_killed = cgroup_oom_killed (k.cgroup_dir);
  if (k.exit_path == NULL)
    return -1;
  return exit_record_write (&k.rec, k.exit_path);
}

/* Our own failure: the container must not run unwatched, so kill it, and still leave an
 * exit record behind for the supervisor. */
static void __attribute__ ((noreturn))
die (void)
{
  close_go ();
  if (! k.exited && (k.pidfd >= 0 || is_our_child (k.pid)))
    {
      kill_container ();
      while (reap (0) < 0 && errno == EINTR)
        ;
    }
  if (! k.exited)
    /* Status unknown: report what a SIGKILL would have given. */
    exit_record_set_status (&k.rec, CLD_KILLED, SIGKILL);
  finish_streams ();
  write_exit ();
  exit (1);
}

static void
usage_error (const char *msg, const char *arg)
{
  keeper_error (0, "%s `%s`", msg, arg);
  fprintf (stderr,
           "usage: podshim-keeper --log PATH --exit-file PATH --control-fd FD [--cgroup DIR]\n"
           "         (--spec-fd FD --status-fd FD | --pid PID --pidfd FD --stdout-fd FD --stderr-fd FD --go-fd FD)\n");
  die ();
}

static int
parse_int (const char *opt, const char *s)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
    usage_error (opt, s);
  return (int) v;
}

static void
parse_args (int argc, char **argv)
{
  static const struct option opts[] = {
    { "log", required_argument, NULL, 'l' },
    { "exit-file", required_argument, NULL, 'e' },
    { "pid", required_argument, NULL, 'p' },
    { "pidfd", required_argument, NULL, 'P' },
    { "stdout-fd", required_argument, NULL, 'o' },
    { "stderr-fd", required_argument, NULL, 'E' },
    { "control-fd", required_argument, NULL, 'c' },
    { "go-fd", required_argument, NULL, 'g' },
    { "cgroup", required_argument, NULL, 'C' },
    { "spec-fd", required_argument, NULL, 's' },
    { "status-fd", required_argument, NULL, 'S' },
    { "version", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'l': k.log_path = optarg; break;
      case 'e': k.exit_path = optarg; break;
      case 'p': k.pid = parse_int ("invalid --pid", optarg); break;
      case 'P': k.pidfd = parse_int ("invalid --pidfd", optarg); break;
      case 'o': k.stdout_fd = parse_int ("invalid --stdout-fd", optarg); break;
      case 'E': k.stderr_fd = parse_int ("invalid --stderr-fd", optarg); break;
      case 'c': k.control_fd = parse_int ("invalid --control-fd", optarg); break;
      case 'g': k.go_fd = parse_int ("invalid --go-fd", optarg); break;
      case 'C': k.cgroup_dir = optarg; break;
      case 's': k.spec_fd = parse_int ("invalid --spec-fd", optarg); break;
      case 'S': k.status_fd = parse_int ("invalid --status-fd", optarg); break;
      case 'v':
        printf ("podshim-keeper %s\n", PODSHIM_VERSION);
        exit (0);
      default:
        usage_error ("unknown or incomplete option", argv[optind - 1]);
      }
  if (optind < argc)
    usage_error ("unexpected argument", argv[optind]);
  if (k.log_path == NULL)
    usage_error ("missing option", "--log");
  if (k.exit_path == NULL)
    usage_error ("missing option", "--exit-file");
  if (k.control_fd < 0)
    usage_error ("missing option", "--control-fd");
  if (k.spec_fd >= 0)
    {
      if (k.status_fd < 0)
        usage_error ("missing option", "--status-fd");
      return;
    }
  if (k.pid <= 0)
    usage_error ("missing option", "--pid");
  if (k.pidfd < 0)
    usage_error ("missing option", "--pidfd");
  if (k.stdout_fd < 0)
    usage_error ("missing option", "--stdout-fd");
  if (k.stderr_fd < 0)
    usage_error ("missing option", "--stderr-fd");
  if (k.go_fd < 0)
    usage_error ("missing option", "--go-fd");
}

static void
check_fd (int fd, const char *opt, bool nonblock)
{
  int fl = fcntl (fd, F_GETFL);

  if (fl < 0)
    {
      keeper_error (errno, "fcntl `%s %d`", opt, fd);
      die ();
    }
  /* Nonblocking, so a spurious poll wakeup can never stall the loop. */
  if (nonblock && ! (fl & O_NONBLOCK) && fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    {
      keeper_error (errno, "fcntl `%s %d`", opt, fd);
      die ();
    }
}

static void
setup_signals (void)
{
  static const int ignored[] = { SIGPIPE, SIGHUP, SIGINT, SIGTERM };
  struct sigaction sa;
  sigset_t none;

  /* Our spawner blocked signals around its fork; a mask survives execve. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  memset (&sa, 0, sizeof sa);
  /* An inherited SIG_IGN for SIGCHLD would make the kernel reap the container for us and
   * lose its exit status. */
  sa.sa_handler = SIG_DFL;
  sigaction (SIGCHLD, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
    sigaction (ignored[i], &sa, NULL);
}

static void
start_container (void)
{
  clock_gettime (CLOCK_REALTIME, &k.rec.started_at);
  if (write_all (k.go_fd, "g", 1) < 0)
    /* EPIPE: the container died while held; the pidfd will tell how. */
    keeper_error (errno, "write `go-fd %d`", k.go_fd);
  else
    k.rec.started = true;
  close_go ();
}

/* Returns false once the control pipe is done with. */
static bool
handle_control (void)
{
  char buf[64];
  ssize_t n = read (k.control_fd, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n > 0)
    {
      if (! k.rec.started && k.go_fd >= 0 && memchr (buf, 'g', (size_t) n))
        start_container ();
      return true;
    }
  if (n < 0)
    keeper_error (errno, "read `control-fd %d`", k.control_fd);
  if (k.go_fd >= 0)
    {
      /* The supervisor went away during creation: the container exits by itself when
       * the go pipe closes, and the SIGKILL makes sure of it. */
      close_go ();
      kill_container ();
    }
  close (k.control_fd);
  k.control_fd = -1;
  return false;
}

/* Returns false at EOF or on a read error. */
static bool
handle_output (struct cri_stream *s, int fd)
{
  ssize_t n = cri_stream_read (s, fd);

  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    return true;
  if (n < 0)
    keeper_error (errno, "read `%s-fd %d`", s->name, fd);
  if (k.log_fd >= 0)
    {
      struct timespec now;
      clock_gettime (CLOCK_REALTIME, &now);
      cri_stream_finish (s, &now);
    }
  close (fd);
  return false;
}

static long long
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --spec-fd: create the container from the packed spec. Failures go to the status pipe (the
 * supervisor reports them); the container's pid goes there too, then we let go of the pipe so
 * that its EOF means "the container exec'd". */
static void
create_container (void)
{
  struct ps_spawn_spec *spec;
  struct ps_created created;
  struct stat st;
  void *buf;
  int keeper_fds[] = { k.control_fd };

  if (fstat (k.spec_fd, &st) < 0 || st.st_size <= 0
      || (buf = mmap (NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, k.spec_fd, 0))
             == MAP_FAILED)
    {
      ps_report (k.status_fd, PS_STEP_SPEC, errno ? errno : EINVAL);
      keeper_error (errno, "read spec `fd %d`", k.spec_fd);
      exit (1);
    }
  close (k.spec_fd);
  spec = ps_spec_unpack (buf, (size_t) st.st_size);
  if (spec == NULL)
    {
      ps_report (k.status_fd, PS_STEP_SPEC, EPROTO);
      keeper_error (0, "malformed spec");
      exit (1);
    }
  if (ps_create_container (spec, k.status_fd, keeper_fds, 1, &created) < 0)
    exit (1);
  munmap (buf, (size_t) st.st_size);
  k.pid = created.pid;
  k.pidfd = created.pidfd;
  k.stdout_fd = created.out_r;
  k.stderr_fd = created.err_r;
  k.go_fd = created.go_w;
  ps_report (k.status_fd, PS_STEP_PID, created.pid);
  close (k.status_fd);
  k.status_fd = -1;
}

int
main (int argc, char **argv, char **envp)
{
  struct pollfd pf[K_NFDS];
  long long drain_end = 0;

  if (argc > 1 && strcmp (argv[1], "--enter") == 0)
    return ps_enter_main (argc, argv, envp);
  setup_signals ();
  parse_args (argc, argv);
  if (k.spec_fd >= 0)
    create_container ();
  k.rec.pid = k.pid;

  check_fd (k.pidfd, "pidfd", false);
  check_fd (k.go_fd, "go-fd", false);
  check_fd (k.control_fd, "control-fd", true);
  check_fd (k.stdout_fd, "stdout-fd", true);
  check_fd (k.stderr_fd, "stderr-fd", true);

  k.log_fd = open (k.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (k.log_fd < 0)
    {
      keeper_error (errno, "open `%s`", k.log_path);
      die ();
    }
  cri_sink_init_fd (&k.sink, k.log_fd, k.log_path);
  cri_stream_init (&out_stream, "stdout", &k.sink);
  cri_stream_init (&err_stream, "stderr", &k.sink);

  pf[K_CONTROL].fd = k.control_fd;
  pf[K_STDOUT].fd = k.stdout_fd;
  pf[K_STDERR].fd = k.stderr_fd;
  pf[K_PIDFD].fd = k.pidfd;
  for (int i = 0; i < K_NFDS; i++)
    pf[i].events = POLLIN;

  for (;;)
    {
      int timeout = -1;
      int n;

      if (k.exited)
        {
          long long left = drain_end - now_ms ();
          if (pf[K_STDOUT].fd < 0 && pf[K_STDERR].fd < 0)
            break;
          if (left <= 0)
            break;
          timeout = left < DRAIN_IDLE_MS ? (int) left : DRAIN_IDLE_MS;
        }

      n = poll (pf, K_NFDS, timeout);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          keeper_error (errno, "poll");
          die ();
        }
      if (n == 0)
        break; /* drain timeout: only possible after the exit */

      if (pf[K_CONTROL].revents && ! handle_control ())
        pf[K_CONTROL].fd = -1;
      if (pf[K_STDOUT].revents && ! handle_output (&out_stream, pf[K_STDOUT].fd))
        pf[K_STDOUT].fd = -1;
      if (pf[K_STDERR].revents && ! handle_output (&err_stream, pf[K_STDERR].fd))
        pf[K_STDERR].fd = -1;
      if (pf[K_PIDFD].revents)
        {
          if (pf[K_PIDFD].revents & POLLNVAL)
            {
              keeper_error (EBADF, "poll `pidfd %d`", k.pidfd);
              die ();
            }
          if (reap (WNOHANG) < 0 && errno != EINTR)
            die ();
          if (k.exited)
            {
              /* Nothing left to start or to abort. */
              close_go ();
              pf[K_PIDFD].fd = -1;
              pf[K_CONTROL].fd = -1;
              drain_end = now_ms () + DRAIN_TOTAL_MS;
            }
        }
    }

  /* Pipes still held open by someone else: flush what we have as unterminated lines. */
  finish_streams ();
  return write_exit () < 0 ? 1 : 0;
}
