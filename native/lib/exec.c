/* ps_exec: a command inside a running container (exec probes, hooks, `podshim exec`).
 *
 *   supervisor ──vfork──▶ helper: setns(container pidfd, mnt|pid|net|ipc|uts)
 *                            └─ clone3(CLONE_PARENT[|INTO_CGROUP]) ──▶ command (in the
 *                               container's pid namespace, a child of the supervisor)
 *
 * The helper exits at once; the command's parent is the supervisor, which waits on a pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
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

static __attribute__((noreturn)) void command_child(const struct ps_exec_spec *s,
						     const struct exec_fds *f)
{
	int st = f->status_w, err;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setsid() < 0)
		ps_fail(st, PS_STEP_SETSID, errno);
	if (dup2(s->stdin_null ? f->null_fd : f->in_r, 0) < 0 || dup2(f->out_w, 1) < 0
	    || dup2(f->err_w, 2) < 0)
		ps_fail(st, PS_STEP_STDIO, errno);
	if (ps_set_user_and_caps(st, s->uid, s->gid, s->groups, s->n_groups, s->cap_bounding) < 0)
		_exit(127);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ps_fail(st, PS_STEP_NO_NEW_PRIVS, errno);
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		ps_fail(st, PS_STEP_CLOSE_FDS, errno);
	if (chdir(s->cwd ? s->cwd : "/") < 0)
		ps_fail(st, PS_STEP_CWD, errno);
	{
		char cwd[4096];

		if (syscall(SYS_getcwd, cwd, sizeof cwd) < 0)
			ps_fail(st, PS_STEP_CWD, errno);
		if (cwd[0] != '/')
			ps_fail(st, PS_STEP_CWD_OUTSIDE_ROOT, EPERM);
	}
	ps_reset_signals(1);
	err = ps_execvpe(s->argv, s->envp);
	ps_fail(st, PS_STEP_EXEC, err);
}

static __attribute__((noreturn)) void helper_child(const struct ps_exec_spec *s,
						    const struct exec_fds *f, volatile int *pid_out)
{
	struct ps_clone_args args = { .flags = CLONE_PARENT, .exit_signal = SIGCHLD };
	long pid;

	ps_reset_signals(0);
	if (s->ns_flags && setns(s->target_pidfd, s->ns_flags) < 0)
		ps_fail(f->status_w, PS_STEP_SETNS, errno);
	if (s->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)s->cgroup_fd;
	}
	pid = ps_clone3(&args);
	if (pid == 0)
		command_child(s, f);
	if (pid < 0)
		ps_fail(f->status_w, PS_STEP_CLONE, errno);
	*pid_out = (int)pid;
	_exit(0);
}

PS_EXPORT int ps_exec(const struct ps_exec_spec *s, struct ps_exec_result *result)
{
	struct exec_fds f = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	int *all[] = { &f.null_fd, &f.status_r, &f.status_w, &f.in_r, &f.in_w,
		       &f.out_r, &f.out_w, &f.err_r, &f.err_w };
	int p[2], r, pidfd;
	volatile int pid = -1;
	uint64_t oldmask;
	pid_t helper;

	if (!s || !result || !s->argv || !s->argv[0] || !s->envp || s->target_pidfd < 0)
		return -EINVAL;
	f.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (f.null_fd < 0)
		return -errno;
	if ((r = ps_fd_above_stdio(f.null_fd)) < 0)
		goto fail;
	f.null_fd = r;
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.status_r = p[0], f.status_w = p[1];
	if (!s->stdin_null) {
		if ((r = ps_pipe(p)) < 0)
			goto fail;
		f.in_r = p[0], f.in_w = p[1];
	}
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.out_r = p[0], f.out_w = p[1];
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.err_r = p[0], f.err_w = p[1];

	ps_block_all_signals(&oldmask);
	helper = vfork();
	if (helper == 0)
		helper_child(s, &f, &pid);
	r = helper < 0 ? -errno : 0;
	ps_restore_signals(&oldmask);
	if (r < 0)
		goto fail;
	while (waitpid(helper, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (pid < 0) {
		/* The helper failed and said why on the status pipe. */
		result->pid = -1;
		result->pidfd = -1;
	} else {
		/* The command is our child, so it cannot be reaped behind our back before this. */
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			r = -errno;
			kill(pid, SIGKILL);
			goto fail;
		}
		result->pid = pid;
		result->pidfd = pidfd;
	}
	result->stdin_fd = f.in_w;
	result->stdout_fd = f.out_r;
	result->stderr_fd = f.err_r;
	result->status_fd = f.status_r;
	f.in_w = f.out_r = f.err_r = f.status_r = -1;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (*all[i] >= 0)
			close(*all[i]);
	return 0;
fail:
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (*all[i] >= 0)
			close(*all[i]);
	return r;
}
