/* ps_holder_spawn: the pod's infra holder (podshim-pause) in new namespaces.
 *
 * A plain fork-style clone3: holders are made once per pod, and CLONE_NEWPID must be given at
 * clone time for the holder to be PID 1 when the pod shares its process namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

static __attribute__((noreturn)) void holder_child(const struct ps_holder_spec *s, int null_fd,
						    int ready_r, int ready_w)
{
	char ready_arg[24], msg[160];
	char *argv[8];
	int argc = 0, err;
	static char *const empty_env[] = { NULL };

	close(ready_r);
	setsid();
	dup2(null_fd, 0);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	if (ps_cloexec_all_but(&ready_w, 1) < 0)
		_exit(127);
	argv[argc++] = (char *)s->pause_path;
	argv[argc++] = "--ready-fd";
	argv[argc++] = ps_itoa(ready_w, ready_arg);
	if (s->hostname) {
		argv[argc++] = "--hostname";
		argv[argc++] = (char *)s->hostname;
	}
	if (!(s->ns_flags & CLONE_NEWNET))
		argv[argc++] = "--no-network";
	argv[argc] = NULL;
	ps_reset_signals(1);
	execve(s->pause_path, argv, empty_env);
	err = errno;
	/* The pause reports failures as text on the ready pipe; so do we. */
	ps_concat3(msg, sizeof msg, "execve `", s->pause_path, "`: errno ");
	{
		char num[24];
		size_t at = ps_strlen(msg);

		ps_itoa(err, num);
		for (size_t i = 0; num[i] && at + 2 < sizeof msg; i++)
			msg[at++] = num[i];
		msg[at++] = '\n';
		msg[at] = '\0';
		if (write(ready_w, msg, at) < 0)
			_exit(127);
	}
	_exit(127);
}

PS_EXPORT int ps_holder_spawn(const struct ps_holder_spec *s, struct ps_holder_result *result)
{
	struct ps_clone_args args = { .exit_signal = SIGCHLD };
	int ready[2], null_fd, r, pidfd = -1;
	uint64_t oldmask;
	long pid;

	if (!s || !result || !s->pause_path)
		return -EINVAL;
	if (s->ns_flags & ~(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID))
		return -EINVAL;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if ((r = ps_fd_above_stdio(null_fd)) < 0) {
		close(null_fd);
		return r;
	}
	null_fd = r;
	if ((r = ps_pipe(ready)) < 0) {
		close(null_fd);
		return r;
	}

	args.flags = (uint64_t)s->ns_flags | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (s->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)s->cgroup_fd;
	}
	ps_block_all_signals(&oldmask);
	pid = ps_clone3(&args);
	if (pid == 0) {
		ps_reset_signals(0);
		holder_child(s, null_fd, ready[0], ready[1]);
	}
	r = pid < 0 ? -errno : 0;
	ps_restore_signals(&oldmask);
	close(null_fd);
	close(ready[1]);
	if (r < 0) {
		close(ready[0]);
		return r;
	}
	result->pid = (int)pid;
	result->pidfd = pidfd;
	result->ready_fd = ready[0];
	return 0;
}
