/* ps_spawn: one container attempt.
 *
 *   supervisor ──vfork──▶ keeper child ──clone3(NEWNS|NEWPID[|INTO_CGROUP])──▶ container child
 *                              │                                                  │ setns(holder), rootfs,
 *                              └─ execve(podshim-keeper)                          │ user, caps, fds, cwd,
 *                                                                                 └─ wait for go, execve
 *
 * vfork keeps the supervisor's side cheap (no page-table copy of the .NET heap); the
 * container child is a real fork (clone3 without CLONE_VM) because it lives long and changes
 * its mount namespace, credentials and memory. The keeper is the container's parent, so it
 * can reap it and record its exit after the supervisor is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

struct spawn_fds {
	int null_fd;
	int status_r, status_w;
	int control_r, control_w;
	int go_r, go_w;
	int out_r, out_w;
	int err_r, err_w;
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void close_all(struct spawn_fds *f)
{
	int *all[] = { &f->null_fd, &f->status_r, &f->status_w, &f->control_r, &f->control_w,
		       &f->go_r, &f->go_w, &f->out_r, &f->out_w, &f->err_r, &f->err_w };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		close_fd(all[i]);
}

static __attribute__((noreturn)) void container_child(const struct ps_spawn_spec *s,
						       const struct spawn_fds *f)
{
	int st = f->status_w;
	int err;
	char c;
	ssize_t n;

	/* Non-dumpable before joining anything: no process in the pod may open our
	 * /proc/<pid>/exe (the supervisor's binary) while we enter (runc CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close(f->go_w);
	close(f->control_r);
	close(f->control_w);
	close(f->out_r);
	close(f->err_r);
	close(f->status_r);
	umask(0);

	if (setsid() < 0)
		ps_fail(st, PS_STEP_SETSID, errno);
	if (dup2(f->null_fd, 0) < 0 || dup2(f->out_w, 1) < 0 || dup2(f->err_w, 2) < 0)
		ps_fail(st, PS_STEP_STDIO, errno);
	close(f->null_fd);
	close(f->out_w);
	close(f->err_w);

	if (s->holder_pidfd >= 0 && s->join_ns_flags != 0
	    && setns(s->holder_pidfd, s->join_ns_flags) < 0)
		ps_fail(st, PS_STEP_SETNS, errno);

	if (ps_setup_rootfs(s, st) < 0)
		_exit(127);

	if (s->hostname && sethostname(s->hostname, ps_strlen(s->hostname)) < 0)
		ps_fail(st, PS_STEP_HOSTNAME, errno);
	for (int i = 0; i < s->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard };

		if (setrlimit((__rlimit_resource_t)s->rlimits[i].resource, &rl) < 0)
			ps_fail(st, PS_STEP_RLIMITS, errno);
	}

	/* The working directory is created as root if missing (as runc does), entered again as
	 * the container's user below. */
	if (chdir(s->cwd) < 0 && errno == ENOENT) {
		char dir[4096];
		size_t len = ps_strlen(s->cwd);

		if (len >= sizeof dir)
			ps_fail(st, PS_STEP_CWD, ENAMETOOLONG);
		for (size_t i = 1; i <= len; i++) {
			if (i == len || s->cwd[i] == '/') {
				for (size_t j = 0; j < i; j++)
					dir[j] = s->cwd[j];
				dir[i] = '\0';
				if (mkdir(dir, 0755) < 0 && errno != EEXIST)
					ps_fail(st, PS_STEP_CWD, errno);
			}
		}
	}

	if (ps_set_user_and_caps(st, s->uid, s->gid, s->groups, s->n_groups, s->cap_bounding) < 0)
		_exit(127);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ps_fail(st, PS_STEP_NO_NEW_PRIVS, errno);

	/* Every inherited fd above 2 closes at execve, whoever opened it without O_CLOEXEC
	 * (runc CVE-2024-21626). The status and go pipes stay usable until then. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		ps_fail(st, PS_STEP_CLOSE_FDS, errno);

	if (chdir(s->cwd) < 0)
		ps_fail(st, PS_STEP_CWD, errno);
	{
		/* A cwd reached through a leaked fd lies outside the root: getcwd says so. */
		char cwd[4096];
		long r = syscall(SYS_getcwd, cwd, sizeof cwd);

		if (r < 0)
			ps_fail(st, PS_STEP_CWD, errno);
		if (cwd[0] != '/')
			ps_fail(st, PS_STEP_CWD_OUTSIDE_ROOT, EPERM);
	}
	umask(022);

	ps_report(st, PS_STEP_READY, 0);
	do
		n = read(f->go_r, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(0);	/* never started: the keeper records it */
	close(f->go_r);

	ps_reset_signals(1);
	err = ps_execvpe(s->argv, s->envp);
	ps_fail(st, PS_STEP_EXEC, err);
}

/* Runs in the vfork child: shares the supervisor's memory, so it only writes to *shared and
 * never returns. */
static __attribute__((noreturn)) void keeper_child(const struct ps_spawn_spec *s,
						    struct spawn_fds *f, char *const *keeper_argv,
						    char *pid_arg, char *pidfd_arg,
						    volatile int *container_pid)
{
	struct ps_clone_args args = { .exit_signal = SIGCHLD };
	int pidfd = -1;
	long pid;
	static char *const empty_env[] = { NULL };

	ps_reset_signals(0);
	if (s->share_pid_ns && setns(s->holder_pidfd, CLONE_NEWPID) < 0)
		ps_fail(f->status_w, PS_STEP_SETNS, errno);

	args.flags = CLONE_NEWNS | CLONE_PIDFD | (s->share_pid_ns ? 0 : CLONE_NEWPID);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (s->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)s->cgroup_fd;
	}
	pid = ps_clone3(&args);
	if (pid == 0)
		container_child(s, f);
	if (pid < 0)
		ps_fail(f->status_w, s->cgroup_fd >= 0 && errno != EINVAL ? PS_STEP_CGROUP : PS_STEP_CLONE,
			errno);
	*container_pid = (int)pid;

	ps_itoa(pid, pid_arg);
	ps_itoa(pidfd, pidfd_arg);
	setsid();
	{
		int keep[] = { f->control_r, f->go_w, f->out_r, f->err_r, pidfd };

		if (ps_cloexec_all_but(keep, (int)(sizeof keep / sizeof keep[0])) < 0
		    || dup2(f->null_fd, 0) < 0 || dup2(f->null_fd, 1) < 0 || dup2(f->null_fd, 2) < 0) {
			ps_report(f->status_w, PS_STEP_KEEPER_EXEC, errno);
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			_exit(127);
		}
	}
	ps_reset_signals(1);
	execve(s->keeper_path, keeper_argv, empty_env);
	ps_report(f->status_w, PS_STEP_KEEPER_EXEC, errno);
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	_exit(127);
}

PS_EXPORT int ps_spawn(const struct ps_spawn_spec *s, struct ps_spawn_result *result)
{
	struct spawn_fds f = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	int p[2], r;
	char a_control[24], a_go[24], a_out[24], a_err[24], a_pid[24], a_pidfd[24];
	volatile int container_pid = -1;
	uint64_t oldmask;
	pid_t keeper;
	char *argv[24];
	int argc = 0;

	if (!s || !result || !s->argv || !s->argv[0] || !s->envp || !s->rootfs || !s->cwd
	    || !s->keeper_path || !s->log_path || !s->exit_path)
		return -EINVAL;
	if (s->share_pid_ns && s->holder_pidfd < 0)
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
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.control_r = p[0], f.control_w = p[1];
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.go_r = p[0], f.go_w = p[1];
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.out_r = p[0], f.out_w = p[1];
	if ((r = ps_pipe(p)) < 0)
		goto fail;
	f.err_r = p[0], f.err_w = p[1];

	argv[argc++] = (char *)s->keeper_path;
	argv[argc++] = "--log";
	argv[argc++] = (char *)s->log_path;
	argv[argc++] = "--exit-file";
	argv[argc++] = (char *)s->exit_path;
	argv[argc++] = "--pid";
	argv[argc++] = a_pid;
	argv[argc++] = "--pidfd";
	argv[argc++] = a_pidfd;
	argv[argc++] = "--stdout-fd";
	argv[argc++] = ps_itoa(f.out_r, a_out);
	argv[argc++] = "--stderr-fd";
	argv[argc++] = ps_itoa(f.err_r, a_err);
	argv[argc++] = "--control-fd";
	argv[argc++] = ps_itoa(f.control_r, a_control);
	argv[argc++] = "--go-fd";
	argv[argc++] = ps_itoa(f.go_w, a_go);
	if (s->cgroup_path) {
		argv[argc++] = "--cgroup";
		argv[argc++] = (char *)s->cgroup_path;
	}
	argv[argc] = NULL;

	/* No handler of the runtime may run in the vfork child, which shares its memory. */
	ps_block_all_signals(&oldmask);
	keeper = vfork();
	if (keeper == 0)
		keeper_child(s, &f, argv, a_pid, a_pidfd, &container_pid);
	r = keeper < 0 ? -errno : 0;
	ps_restore_signals(&oldmask);
	if (r < 0)
		goto fail;

	result->keeper_pid = keeper;
	result->container_pid = container_pid;
	result->status_fd = f.status_r;
	result->control_fd = f.control_w;
	f.status_r = f.control_w = -1;
	close_all(&f);
	return 0;
fail:
	close_all(&f);
	return r;
}
