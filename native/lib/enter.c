/* podshim-keeper --enter: runs one command inside a running container (for ps_exec).
 *
 *   supervisor ──vfork──▶ execve(podshim-keeper --enter ... -- CMD...)   (env = the command's)
 *                              setns(container pidfd, mnt|pid|net|ipc|uts)
 *                              └─ clone3(CLONE_PARENT[|INTO_CGROUP]) ──▶ CMD, in the container's
 *                                 pid namespace, a child of the supervisor
 *
 * Only this small static binary ever enters a container, never the .NET supervisor
 * (runc CVE-2019-5736). Its stdio is the command's. It reports the command's pid as
 * {PS_STEP_PID, pid} on the status pipe and exits; the command's own failures before
 * execve follow on the same pipe, whose EOF means the command exec'd.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

struct enter_args {
	int status_fd;
	int target_fd;
	int ns_flags;
	int cgroup_fd;
	uint32_t uid, gid;
	uint32_t groups[64];
	int n_groups;
	uint64_t caps;
	int no_new_privs;
	const char *cwd;
	char **argv;
};

static long number(const char *s, int base, int *ok)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end)
		*ok = 0;
	return v;
}

static int parse(int argc, char **argv, struct enter_args *a)
{
	int ok = 1;

	memset(a, 0, sizeof *a);
	a->status_fd = a->target_fd = a->cgroup_fd = -1;
	a->cwd = "/";
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--") == 0) {
			a->argv = argv + i + 1;
			break;
		}
		if (!val)
			return -1;
		i++;
		if (strcmp(opt, "--status-fd") == 0)
			a->status_fd = (int)number(val, 10, &ok);
		else if (strcmp(opt, "--target-fd") == 0)
			a->target_fd = (int)number(val, 10, &ok);
		else if (strcmp(opt, "--ns") == 0)
			a->ns_flags = (int)number(val, 10, &ok);
		else if (strcmp(opt, "--cgroup-fd") == 0)
			a->cgroup_fd = (int)number(val, 10, &ok);
		else if (strcmp(opt, "--uid") == 0)
			a->uid = (uint32_t)number(val, 10, &ok);
		else if (strcmp(opt, "--gid") == 0)
			a->gid = (uint32_t)number(val, 10, &ok);
		else if (strcmp(opt, "--caps") == 0)
			a->caps = (uint64_t)strtoull(val, NULL, 16);
		else if (strcmp(opt, "--no-new-privs") == 0)
			a->no_new_privs = (int)number(val, 10, &ok);
		else if (strcmp(opt, "--cwd") == 0)
			a->cwd = val;
		else if (strcmp(opt, "--groups") == 0) {
			const char *p = val;

			while (*p && a->n_groups < 64) {
				char *end;

				a->groups[a->n_groups++] = (uint32_t)strtoul(p, &end, 10);
				if (end == p)
					return -1;
				p = *end == ',' ? end + 1 : end;
			}
		} else
			return -1;
	}
	if (!ok || a->status_fd < 0 || a->target_fd < 0 || !a->argv || !a->argv[0])
		return -1;
	return 0;
}

static __attribute__((noreturn)) void command_child(const struct enter_args *a, char **envp)
{
	int st = a->status_fd, err;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (setsid() < 0)
		ps_fail(st, PS_STEP_SETSID, errno);
	if (ps_finish_process(st, a->uid, a->gid, a->groups, a->n_groups, a->caps, a->no_new_privs, a->cwd) < 0)
		_exit(127);
	ps_reset_signals(1);
	err = ps_execvpe((const char *const *)a->argv, (const char *const *)envp);
	ps_fail(st, PS_STEP_EXEC, err);
}

int ps_enter_main(int argc, char **argv, char **envp)
{
	/* With CLONE_PARENT the kernel wants exit_signal 0: the child takes ours (SIGCHLD). */
	struct ps_clone_args args = { .flags = CLONE_PARENT };
	struct enter_args a;
	long pid;

	if (parse(argc, argv, &a) < 0) {
		if (a.status_fd >= 0)
			ps_report(a.status_fd, PS_STEP_SPEC, EINVAL);
		return 2;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (a.ns_flags && setns(a.target_fd, a.ns_flags) < 0) {
		ps_report(a.status_fd, PS_STEP_SETNS, errno);
		return 1;
	}
	if (a.cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)a.cgroup_fd;
	}
	pid = ps_clone3(&args);
	if (pid == 0)
		command_child(&a, envp);
	if (pid < 0) {
		ps_report(a.status_fd, a.cgroup_fd >= 0 ? PS_STEP_CGROUP : PS_STEP_CLONE, errno);
		return 1;
	}
	ps_report(a.status_fd, PS_STEP_PID, (int)pid);
	return 0;
}
