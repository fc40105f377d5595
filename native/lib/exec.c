/* ps_exec: a command inside a running container (exec probes, hooks, `podshim exec`).
 *
 * The supervisor only vfork-execs `podshim-keeper --enter` with the command's stdio and
 * environment; that small static process joins the container and clone3s the command with
 * CLONE_PARENT, so the command is the supervisor's child (lib/enter.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

struct exec_fds {
	int null_fd;
	int status_r, status_w;
	int in_r, in_w;
	int out_r, out_w;
	int err_r, err_w;
};

/* argv for podshim-keeper --enter; numbers and the group list are written into nums. */
static char **enter_argv(const struct ps_exec_spec *s, const struct exec_fds *f, char (*nums)[24],
			 char *groups, size_t groups_len)
{
	size_t n = 0, at = 0;
	char **argv;
	int i = 0;

	while (s->argv[n])
		n++;
	argv = calloc(n + 26, sizeof *argv);
	if (!argv)
		return NULL;
	groups[0] = '\0';
	for (int g = 0; g < s->n_groups; g++)
		at += (size_t)snprintf(groups + at, at < groups_len ? groups_len - at : 0, "%s%u", g ? "," : "",
				       s->groups[g]);
	argv[i++] = (char *)s->keeper_path;
	argv[i++] = "--enter";
	argv[i++] = "--status-fd";
	argv[i++] = ps_itoa(f->status_w, nums[0]);
	argv[i++] = "--target-fd";
	argv[i++] = ps_itoa(s->target_pidfd, nums[1]);
	argv[i++] = "--ns";
	argv[i++] = ps_itoa(s->ns_flags, nums[2]);
	argv[i++] = "--cgroup-fd";
	argv[i++] = ps_itoa(s->cgroup_fd, nums[3]);
	argv[i++] = "--uid";
	argv[i++] = ps_itoa((long)s->uid, nums[4]);
	argv[i++] = "--gid";
	argv[i++] = ps_itoa((long)s->gid, nums[5]);
	argv[i++] = "--caps";
	snprintf(nums[6], 24, "%llx", (unsigned long long)s->cap_bounding);
	argv[i++] = nums[6];
	argv[i++] = "--no-new-privs";
	argv[i++] = s->no_new_privs ? "1" : "0";
	argv[i++] = "--cwd";
	argv[i++] = (char *)(s->cwd ? s->cwd : "/");
	if (s->n_groups > 0) {
		argv[i++] = "--groups";
		argv[i++] = groups;
	}
	argv[i++] = "--";
	for (size_t j = 0; j < n; j++)
		argv[i++] = (char *)s->argv[j];
	argv[i] = NULL;
	return argv;
}

PS_EXPORT int ps_exec(const struct ps_exec_spec *s, struct ps_exec_result *result)
{
	struct exec_fds f = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	int *all[] = { &f.null_fd, &f.status_r, &f.status_w, &f.in_r, &f.in_w,
		       &f.out_r, &f.out_w, &f.err_r, &f.err_w };
	char nums[7][24], groups[64 * 12];
	struct ps_status msg = { PS_STEP_KEEPER_EXEC, EPROTO };
	char **argv = NULL;
	int p[2], r, pidfd;
	pid_t helper;
	ssize_t n;

	if (!s || !result || !s->argv || !s->argv[0] || !s->envp || s->target_pidfd < 0 || !s->keeper_path
	    || s->n_groups > 64)
		return -EINVAL;
	f.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (f.null_fd < 0)
		return -errno;
	if ((r = ps_fd_above_stdio(f.null_fd)) < 0)
		goto out;
	f.null_fd = r;
	if ((r = ps_pipe(p)) < 0)
		goto out;
	f.status_r = p[0], f.status_w = p[1];
	if (!s->stdin_null) {
		if ((r = ps_pipe(p)) < 0)
			goto out;
		f.in_r = p[0], f.in_w = p[1];
	}
	if ((r = ps_pipe(p)) < 0)
		goto out;
	f.out_r = p[0], f.out_w = p[1];
	if ((r = ps_pipe(p)) < 0)
		goto out;
	f.err_r = p[0], f.err_w = p[1];
	argv = enter_argv(s, &f, nums, groups, sizeof groups);
	if (!argv) {
		r = -ENOMEM;
		goto out;
	}

	{
		int keep[] = { f.status_w, s->target_pidfd, s->cgroup_fd };
		int stdio[3] = { s->stdin_null ? f.null_fd : f.in_r, f.out_w, f.err_w };

		helper = ps_vfork_exec(s->keeper_path, argv, (char *const *)s->envp, stdio, keep,
				       (int)(sizeof keep / sizeof keep[0]), f.status_w, 0);
	}
	if (helper < 0) {
		r = helper;
		goto out;
	}
	/* Our copies of the command's ends go, so EOF on status means "exec'd or gone". */
	close(f.status_w);
	f.status_w = -1;
	result->pid = -1;
	result->pidfd = -1;
	result->fail_step = 0;
	result->fail_err = 0;
	/* The helper's pid message and the command's own pre-exec failure come from two
	 * processes, in either order: read until the pid (or EOF), keeping the first failure. */
	for (;;) {
		do
			n = read(f.status_r, &msg, sizeof msg);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof msg)
			break;
		if (msg.step == PS_STEP_PID) {
			/* The command is our child (CLONE_PARENT): nobody else can reap it first. */
			pidfd = (int)syscall(SYS_pidfd_open, msg.err, 0);
			if (pidfd < 0) {
				r = -errno;
				kill(msg.err, SIGKILL);
				while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
					;
				goto out;
			}
			result->pid = msg.err;
			result->pidfd = pidfd;
			break;
		}
		if (result->fail_step == 0) {
			result->fail_step = msg.step;
			result->fail_err = msg.err;
		}
	}
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
	if (result->pid < 0 && result->fail_step == 0) {
		result->fail_step = PS_STEP_KEEPER_EXEC;
		result->fail_err = EPROTO;
	}
	result->stdin_fd = f.in_w;
	result->stdout_fd = f.out_r;
	result->stderr_fd = f.err_r;
	result->status_fd = f.status_r;
	f.in_w = f.out_r = f.err_r = f.status_r = -1;
	r = 0;
out:
	free(argv);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (*all[i] >= 0)
			close(*all[i]);
	return r;
}
