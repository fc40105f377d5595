/* The container child and its creation, shared by libpodshim and podshim-keeper.
 *
 *   supervisor ──vfork──▶ execve(podshim-keeper --spec-fd N)
 *                              └─ clone3(NEWNS|NEWPID[|INTO_CGROUP]) ──▶ container child
 *                                   setns(holder), rootfs, user, caps, fds, cwd,
 *                                   wait for go, execve
 *
 * The child is a fork of the small static keeper, never of the .NET supervisor: nothing of
 * the supervisor's binary or memory ever enters a container (runc CVE-2019-5736), and the
 * fork copies a few pages instead of a managed heap's page tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

void ps_container_child(const struct ps_spawn_spec *s, const struct ps_child_fds *f)
{
	int st = f->status_w;
	int err;
	char c;
	ssize_t n;

	/* Non-dumpable before joining anything: no process in the pod may open our
	 * /proc/<pid>/exe or memory while we enter (runc CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (size_t i = 0; i < sizeof f->close_fds / sizeof f->close_fds[0]; i++)
		if (f->close_fds[i] >= 0)
			close(f->close_fds[i]);
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
		uint64_t rl[2] = { s->rlimits[i].soft, s->rlimits[i].hard };

		if (syscall(SYS_prlimit64, 0, s->rlimits[i].resource, rl, NULL) < 0)
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

	if (ps_finish_process(st, s->uid, s->gid, s->groups, s->n_groups, s->cap_bounding, s->no_new_privs,
			      s->cwd) < 0)
		_exit(127);
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

int ps_create_container(const struct ps_spawn_spec *s, int status_fd, const int *keeper_fds,
			int n_keeper_fds, struct ps_created *out)
{
	struct ps_clone_args args = { .exit_signal = SIGCHLD };
	struct ps_child_fds f;
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, go_p[2] = { -1, -1 };
	int pidfd = -1, r, step = PS_STEP_CLONE;
	long pid;

	if (n_keeper_fds > 4)
		return -EINVAL;
	f.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (f.null_fd < 0 || (f.null_fd = ps_fd_above_stdio(f.null_fd)) < 0) {
		r = f.null_fd < 0 ? -errno : f.null_fd;
		goto fail;
	}
	if ((r = ps_pipe(out_p)) < 0 || (r = ps_pipe(err_p)) < 0 || (r = ps_pipe(go_p)) < 0)
		goto fail;

	f.status_w = status_fd;
	f.go_r = go_p[0];
	f.out_w = out_p[1];
	f.err_w = err_p[1];
	for (size_t i = 0; i < sizeof f.close_fds / sizeof f.close_fds[0]; i++)
		f.close_fds[i] = -1;
	f.close_fds[0] = out_p[0];
	f.close_fds[1] = err_p[0];
	f.close_fds[2] = go_p[1];
	for (int i = 0; i < n_keeper_fds; i++)
		f.close_fds[3 + i] = keeper_fds[i];

	if (s->share_pid_ns && setns(s->holder_pidfd, CLONE_NEWPID) < 0) {
		r = -errno;
		step = PS_STEP_SETNS;
		goto fail;
	}
	args.flags = CLONE_NEWNS | CLONE_PIDFD | (s->share_pid_ns ? 0 : CLONE_NEWPID);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (s->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)s->cgroup_fd;
		step = PS_STEP_CGROUP;
	}
	pid = ps_clone3(&args);
	if (pid == 0)
		ps_container_child(s, &f);
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	close(f.null_fd);
	close(out_p[1]);
	close(err_p[1]);
	close(go_p[0]);
	out->pid = (int)pid;
	out->pidfd = pidfd;
	out->out_r = out_p[0];
	out->err_r = err_p[0];
	out->go_w = go_p[1];
	return 0;
fail:
	ps_report(status_fd, step, -r);
	for (int i = 0; i < 2; i++) {
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
		if (go_p[i] >= 0)
			close(go_p[i]);
	}
	if (f.null_fd >= 0)
		close(f.null_fd);
	return r;
}
