/* podshim-pause: holds a pod's net/ipc/uts (and maybe pid) namespaces.
 *
 *   podshim-pause [--hostname NAME] [--ready-fd FD] [--no-network]
 *
 * libpodshim starts it already inside the fresh namespaces. It sets the hostname, brings
 * lo up, says 'r' on the ready fd (or one line of error text and exit 1), then sleeps
 * until SIGTERM/SIGINT, reaping zombies in case it is PID 1 of the pod's pid namespace. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PODSHIM_VERSION
#define PODSHIM_VERSION "0.1.0"
#endif

static int ready_fd = -1;

static void
write_all (int fd, const char *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      p += n;
      len -= (size_t) n;
    }
}

/* The ready fd is how the spawner learns why we failed: stderr may well be /dev/null. */
static void __attribute__ ((noreturn, format (printf, 2, 3)))
fail (int errnum, const char *fmt, ...)
{
  char msg[512];
  size_t len;
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg - 2, fmt, ap);
  va_end (ap);
  len = strlen (msg);
  if (errnum)
    len += (size_t) snprintf (msg + len, sizeof msg - len - 1, ": %s", strerror (errnum));
  if (len > sizeof msg - 2)
    len = sizeof msg - 2;
  msg[len++] = '\n';
  if (ready_fd >= 0)
    write_all (ready_fd, msg, len);
  else
    {
      write_all (2, "podshim-pause: ", 15);
      write_all (2, msg, len);
    }
  _exit (1);
}

static void
loopback_up (void)
{
  struct ifreq ifr;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    fail (errno, "socket `AF_INET`");
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    fail (errno, "ioctl SIOCGIFFLAGS `lo`");
  if (! (ifr.ifr_flags & IFF_UP))
    {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
        fail (errno, "ioctl SIOCSIFFLAGS `lo`");
    }
  close (fd);
}

static void
usage (const char *what, const char *arg)
{
  fail (0, "%s `%s`; usage: podshim-pause [--hostname NAME] [--ready-fd FD] [--no-network]",
        what, arg);
}

int
main (int argc, char **argv)
{
  const char *hostname = NULL;
  int network = 1;
  sigset_t all;

  /* Parsed by hand: three options do not justify getopt, and --ready-fd must be known
   * before any other error is reported. */
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--ready-fd") == 0 && i + 1 < argc)
      {
        char *end;
        long v;

        errno = 0;
        v = strtol (argv[i + 1], &end, 10);
        if (errno || end == argv[i + 1] || *end || v < 0 || v > INT_MAX)
          usage ("invalid --ready-fd", argv[i + 1]);
        ready_fd = (int) v;
      }
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--version") == 0)
        {
          printf ("podshim-pause %s\n", PODSHIM_VERSION);
          return 0;
        }
      else if (strcmp (argv[i], "--no-network") == 0)
        network = 0;
      else if (strcmp (argv[i], "--hostname") == 0 && i + 1 < argc)
        hostname = argv[++i];
      else if (strcmp (argv[i], "--ready-fd") == 0 && i + 1 < argc)
        i++;
      else
        usage ("unknown or incomplete option", argv[i]);
    }

  /* Block everything before signalling readiness so no signal is lost between 'r' and
   * sigwaitinfo. As PID 1 of a pid namespace, signals without a handler are ignored, so
   * default actions cannot be relied on: every signal is taken explicitly. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, NULL);

  if (hostname && sethostname (hostname, strlen (hostname)) < 0)
    fail (errno, "sethostname `%s`", hostname);
  if (network)
    loopback_up ();

  if (ready_fd >= 0)
    {
      write_all (ready_fd, "r", 1);
      close (ready_fd);
      ready_fd = -1;
    }

  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);

      if (sig < 0)
        continue; /* EINTR */
      switch (sig)
        {
        case SIGCHLD:
          /* One SIGCHLD may stand for many exits: signals do not queue. */
          while (waitpid (-1, NULL, WNOHANG) > 0)
            ;
          break;
        case SIGTERM:
        case SIGINT:
          return 0;
        default:
          break;
        }
    }
}
