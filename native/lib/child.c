/* Async-signal-safe helpers for the children of libpodshim (see child.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

long ps_clone3(struct ps_clone_args *args)
{
	return syscall(SYS_clone3, args, sizeof *args);
}

void ps_report(int fd, int step, int err)
{
	struct ps_status st = { .step = step, .err = err };
	ssize_t r;

	if (fd < 0)
		return;
	do
		r = write(fd, &st, sizeof st);
	while (r < 0 && errno == EINTR);
}

void ps_fail(int fd, int step, int err)
{
	ps_report(fd, step, err);
	if (step == PS_STEP_EXEC && (err == EACCES || err == ENOEXEC || err == EISDIR || err == EPERM))
		_exit(126);
	_exit(127);
}

/* The kernel's struct sigaction layout for rt_sigaction (glibc's differs and refuses the
 * signals it reserves for itself, which we must reset too). */
struct ps_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

void ps_reset_signals(int unblock)
{
	struct ps_ksigaction dfl = { .handler = SIG_DFL };
	uint64_t empty = 0;

	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	}
	if (unblock)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, sizeof(uint64_t));
}

void ps_block_all_signals(uint64_t *old)
{
	uint64_t all = ~0ULL;

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, sizeof(uint64_t));
}

void ps_restore_signals(const uint64_t *old)
{
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, sizeof(uint64_t));
}

int ps_cloexec_all_but(const int *keep, int n)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) < 0)
			return -errno;
	return 0;
}

int ps_fd_above_stdio(int fd)
{
	int moved;

	if (fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return -errno;
	close(fd);
	return moved;
}

int ps_pipe(int p[2])
{
	int r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		r = ps_fd_above_stdio(p[i]);
		if (r < 0) {
			close(p[0]);
			close(p[1]);
			return r;
		}
		p[i] = r;
	}
	return 0;
}

char *ps_itoa(long v, char *buf)
{
	char tmp[24];
	int i = 0, j = 0;
	unsigned long u = v < 0 ? (unsigned long)(-(v + 1)) + 1 : (unsigned long)v;

	do
		tmp[i++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		buf[j++] = '-';
	while (i > 0)
		buf[j++] = tmp[--i];
	buf[j] = '\0';
	return buf;
}

size_t ps_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int ps_concat3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	size_t at = 0;

	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i]; p && *p; p++) {
			if (at + 1 >= n) {
				buf[0] = '\0';
				return -ENAMETOOLONG;
			}
			buf[at++] = *p;
		}
	}
	buf[at] = '\0';
	return 0;
}

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int ps_execvpe(const char *const *argv, const char *const *envp)
{
	const char *path = default_path;
	const char *file = argv[0];
	char buf[4096];
	int saw_eacces = 0;

	if (!file || !*file)
		return ENOENT;
	for (const char *p = file; *p; p++) {
		if (*p == '/') {
			execve(file, (char *const *)argv, (char *const *)envp);
			return errno;
		}
	}
	for (const char *const *e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;

	while (*path) {
		const char *end = path;
		size_t dlen, flen = ps_strlen(file);

		while (*end && *end != ':')
			end++;
		dlen = (size_t)(end - path);
		if (dlen + 1 + flen + 1 <= sizeof buf) {
			size_t at = 0;

			if (dlen == 0)
				buf[at++] = '.';
			for (size_t i = 0; i < dlen; i++)
				buf[at++] = path[i];
			buf[at++] = '/';
			for (size_t i = 0; i < flen; i++)
				buf[at++] = file[i];
			buf[at] = '\0';
			execve(buf, (char *const *)argv, (char *const *)envp);
			switch (errno) {
			case EACCES:
				saw_eacces = 1;
				break;
			case ENOENT:
			case ENOTDIR:
			case ELOOP:
			case ENAMETOOLONG:
				break;
			default:
				return errno;
			}
		}
		path = *end ? end + 1 : end;
	}
	return saw_eacces ? EACCES : ENOENT;
}

int ps_set_user_and_caps(int status_fd, uint32_t uid, uint32_t gid, const uint32_t *groups,
			 int n_groups, uint64_t cap_bounding)
{
	struct ps_cap_header hdr = { .version = PS_CAPABILITY_VERSION_3 };
	struct ps_cap_data data[2];
	uint64_t keep = uid == 0 ? cap_bounding : 0;

	/* capset can only lower: a privileged container gets what its creator has (root on some
	 * hosts lacks a few capabilities, e.g. CAP_SYS_RESOURCE). */
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) < 0) {
		ps_report(status_fd, PS_STEP_CAPS, errno);
		return -1;
	}
	keep &= (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);

	/* The bounding set decides what root gets at execve, so it is the real limit. */
	for (int cap = 0; cap < 64; cap++) {
		if (cap_bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
			ps_report(status_fd, PS_STEP_CAPS, errno);
			return -1;
		}
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		ps_report(status_fd, PS_STEP_CAPS, errno);
		return -1;
	}
	if (syscall(SYS_setgroups, (size_t)n_groups, groups) < 0) {
		ps_report(status_fd, PS_STEP_GROUPS, errno);
		return -1;
	}
	if (syscall(SYS_setresgid, gid, gid, gid) < 0) {
		ps_report(status_fd, PS_STEP_GID, errno);
		return -1;
	}
	if (syscall(SYS_setresuid, uid, uid, uid) < 0) {
		ps_report(status_fd, PS_STEP_UID, errno);
		return -1;
	}
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0
	    || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0
	    || (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)) {
		ps_report(status_fd, PS_STEP_CAPS, errno);
		return -1;
	}
	return 0;
}

/* The process may run on every CPU its cgroup allows, not only on those of the thread that
 * started it (the supervisor's probe threads are pinned, and podshim may run under taskset).
 * Since Linux 6.2 joining a cgroup no longer resets an affinity set by the user, so, as runc and
 * crun do, ask for all CPUs: the kernel narrows the mask to what the cpuset allows. The mask
 * covers the kernel's maximum of 8192 CPUs (runc's 1024-bit one cut off larger machines).
 * Best effort: a failure leaves the inherited mask, which still runs the process. */
static void ps_reset_cpu_affinity(void)
{
	unsigned long all[8192 / (8 * sizeof(unsigned long))];

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		all[i] = ~0UL;
	syscall(SYS_sched_setaffinity, 0, sizeof all, all);
}

int ps_finish_process(int status_fd, uint32_t uid, uint32_t gid, const uint32_t *groups, int n_groups,
		      uint64_t cap_bounding, int no_new_privs, const char *cwd)
{
	char buf[4096];

	ps_reset_cpu_affinity();

	if (ps_set_user_and_caps(status_fd, uid, gid, groups, n_groups, cap_bounding) < 0)
		return -1;
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ps_report(status_fd, PS_STEP_NO_NEW_PRIVS, errno);
		return -1;
	}
	/* Every inherited fd above 2 closes at execve, whoever opened it without O_CLOEXEC
	 * (runc CVE-2024-21626). The status and go pipes stay usable until then. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		ps_report(status_fd, PS_STEP_CLOSE_FDS, errno);
		return -1;
	}
	if (chdir(cwd) < 0 || syscall(SYS_getcwd, buf, sizeof buf) < 0) {
		ps_report(status_fd, PS_STEP_CWD, errno);
		return -1;
	}
	/* A cwd reached through a leaked fd lies outside the root: getcwd says so. */
	if (buf[0] != '/') {
		ps_report(status_fd, PS_STEP_CWD_OUTSIDE_ROOT, EPERM);
		return -1;
	}
	return 0;
}

pid_t ps_vfork_exec(const char *path, char *const *argv, char *const *envp, const int stdio[3],
		    const int *keep, int n_keep, int status_fd, int new_session)
{
	uint64_t oldmask;
	pid_t pid;
	int err;

	/* No handler of the runtime may run in the vfork child, which shares its memory. */
	ps_block_all_signals(&oldmask);
	pid = vfork();
	if (pid == 0) {
		ps_reset_signals(0);
		if (new_session)
			setsid();
		if (dup2(stdio[0], 0) < 0 || dup2(stdio[1], 1) < 0 || dup2(stdio[2], 2) < 0
		    || ps_cloexec_all_but(keep, n_keep) < 0) {
			ps_report(status_fd, PS_STEP_STDIO, errno);
			_exit(127);
		}
		ps_reset_signals(1);
		execve(path, argv, envp);
		ps_report(status_fd, PS_STEP_KEEPER_EXEC, errno);
		_exit(127);
	}
	err = errno;
	ps_restore_signals(&oldmask);
	return pid < 0 ? -err : pid;
}
