/* ps_spawn: one container attempt, from the supervisor's side.
 *
 * The spec is packed into a sealed-size memfd and handed to podshim-keeper, started with
 * vfork + execve (no copy of the .NET heap's page tables); the keeper creates the container
 * as its own child (container.c) and stays its parent. The supervisor keeps two pipes:
 * status (the container's {step, errno} messages, EOF once it exec'd) and control (one 'g'
 * starts the container; the keeper records the time).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

static int write_memfd(const char *buf, size_t len)
{
	int fd = memfd_create("podshim-spec", MFD_CLOEXEC);
	size_t at = 0;

	if (fd < 0)
		return -errno;
	while (at < len) {
		ssize_t n = write(fd, buf + at, len - at);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			close(fd);
			return -err;
		}
		at += (size_t)n;
	}
	return ps_fd_above_stdio(fd);
}

PS_EXPORT int ps_spawn(const struct ps_spawn_spec *s, struct ps_spawn_result *result)
{
	int status[2] = { -1, -1 }, control[2] = { -1, -1 };
	int null_fd = -1, spec_fd = -1, r;
	char a_spec[24], a_status[24], a_control[24];
	char *packed = NULL;
	size_t packed_len;
	pid_t keeper;
	char *argv[16];
	int argc = 0;

	if (!s || !result || !s->argv || !s->argv[0] || !s->envp || !s->rootfs || !s->cwd
	    || !s->keeper_path || !s->log_path || !s->exit_path)
		return -EINVAL;
	if (s->share_pid_ns && s->holder_pidfd < 0)
		return -EINVAL;

	if ((r = ps_spec_pack(s, &packed, &packed_len)) < 0)
		return r;
	r = spec_fd = write_memfd(packed, packed_len);
	free(packed);
	if (r < 0)
		return r;
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0) {
		r = -errno;
		goto out;
	}
	if ((r = null_fd = ps_fd_above_stdio(null_fd)) < 0 || (r = ps_pipe(status)) < 0
	    || (r = ps_pipe(control)) < 0)
		goto out;

	argv[argc++] = (char *)s->keeper_path;
	argv[argc++] = "--spec-fd";
	argv[argc++] = ps_itoa(spec_fd, a_spec);
	argv[argc++] = "--status-fd";
	argv[argc++] = ps_itoa(status[1], a_status);
	argv[argc++] = "--control-fd";
	argv[argc++] = ps_itoa(control[0], a_control);
	argv[argc++] = "--log";
	argv[argc++] = (char *)s->log_path;
	argv[argc++] = "--exit-file";
	argv[argc++] = (char *)s->exit_path;
	if (s->cgroup_path) {
		argv[argc++] = "--cgroup";
		argv[argc++] = (char *)s->cgroup_path;
	}
	argv[argc] = NULL;

	{
		static char *const empty_env[] = { NULL };
		int keep[] = { spec_fd, status[1], control[0], s->holder_pidfd, s->cgroup_fd };
		int stdio[3] = { null_fd, null_fd, null_fd };

		/* A session of its own: the terminal's signals are for the supervisor, not the keeper. */
		keeper = ps_vfork_exec(s->keeper_path, argv, empty_env, stdio, keep,
				       (int)(sizeof keep / sizeof keep[0]), status[1], 1);
	}
	if (keeper < 0) {
		r = keeper;
		goto out;
	}

	result->keeper_pid = keeper;
	result->container_pid = -1; /* the keeper reports it: PS_STEP_PID */
	result->status_fd = status[0];
	result->control_fd = control[1];
	status[0] = control[1] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (status[i] >= 0)
			close(status[i]);
		if (control[i] >= 0)
			close(control[i]);
	}
	if (null_fd >= 0)
		close(null_fd);
	if (spec_fd >= 0)
		close(spec_fd);
	return r;
}
