/* libpodshim: the only code that runs between clone and execve.
 *
 * Every export is named ps_*, returns 0 (or a non-negative value) on success and -errno on
 * failure, and has exactly one C# wrapper (src/PodShim.Interop/Interop/Interop.<Name>.cs).
 * The managed side prepares every string, path and array before the call; the children
 * never allocate and never call back into managed code.
 */
#ifndef PODSHIM_H
#define PODSHIM_H

#include <stdint.h>

#define PS_EXPORT __attribute__((visibility("default")))

/* Steps reported over the status pipe as struct ps_status {step, errno}. Step 0 means
 * "set up and waiting for go"; EOF after it means execve succeeded. Keep in sync with
 * src/PodShim.Interop/SpawnStep.cs. */
enum ps_step {
	PS_STEP_READY = 0,
	PS_STEP_CLONE = 1,
	PS_STEP_KEEPER_EXEC = 2,
	PS_STEP_SETSID = 3,
	PS_STEP_STDIO = 4,
	PS_STEP_SETNS = 5,
	PS_STEP_MOUNT_PRIVATE = 6,
	PS_STEP_ROOTFS = 7,
	PS_STEP_ROOTFS_SYMLINK = 8,
	PS_STEP_MOUNTS = 9,
	PS_STEP_PROC = 10,
	PS_STEP_DEV = 11,
	PS_STEP_SYS = 12,
	PS_STEP_PIVOT_ROOT = 13,
	PS_STEP_MASK = 14,
	PS_STEP_READONLY_PATHS = 15,
	PS_STEP_HOSTNAME = 16,
	PS_STEP_RLIMITS = 17,
	PS_STEP_GROUPS = 18,
	PS_STEP_GID = 19,
	PS_STEP_UID = 20,
	PS_STEP_CAPS = 21,
	PS_STEP_NO_NEW_PRIVS = 22,
	PS_STEP_CLOSE_FDS = 23,
	PS_STEP_CWD = 24,
	PS_STEP_CWD_OUTSIDE_ROOT = 25,
	PS_STEP_WAIT_GO = 26,
	PS_STEP_EXEC = 27,
	PS_STEP_CGROUP = 28,
	PS_STEP_READONLY_ROOT = 29,
	PS_STEP_DEV_NULL = 30,
	PS_STEP_PID = 31,	/* from the keeper: err carries the container's pid */
	PS_STEP_SPEC = 32,	/* the keeper could not read the spec */
};

struct ps_status {
	int32_t step;
	int32_t err;
};

/* One mount made inside the container's mount namespace before pivot_root.
 * target is a path inside the rootfs; it is resolved with RESOLVE_IN_ROOT so a symlink
 * can never lead it out of the rootfs, and created (directory, or empty file when
 * target_is_file) if missing. */
struct ps_mount {
	const char *source;
	const char *target;
	const char *fstype;     /* NULL for a bind mount */
	const char *data;       /* NULL or fs options */
	uint64_t flags;         /* MS_* ; MS_RDONLY on a bind is applied with a remount */
	int32_t target_is_file;
	int32_t reserved;
};

struct ps_rlimit {
	int32_t resource;
	int32_t reserved;
	uint64_t soft;
	uint64_t hard;
};

/* Everything a container child needs, flat, prepared by managed code. */
struct ps_spawn_spec {
	/* namespaces and cgroup */
	int32_t holder_pidfd;        /* pidfd of the pod's holder, -1 for none */
	int32_t join_ns_flags;       /* CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS subset joined from the holder */
	int32_t share_pid_ns;        /* 1: join the holder's pid namespace instead of a new one */
	int32_t cgroup_fd;           /* -1, or a directory fd for CLONE_INTO_CGROUP */

	/* root filesystem */
	const char *rootfs;          /* host directory the rootfs is mounted on */
	const char *overlay_data;    /* "lowerdir=..,upperdir=..,workdir=.." ; NULL: rootfs is used as it is (bind) */
	const struct ps_mount *mounts;
	int32_t n_mounts;
	int32_t readonly_rootfs;
	const char *shm_source;      /* host dir bound on /dev/shm; NULL: a private tmpfs */
	const char *const *masked_paths;    /* NULL-terminated */
	const char *const *readonly_paths;  /* NULL-terminated */
	const char *hostname;        /* NULL: keep the (holder's) hostname */

	/* process */
	const char *const *argv;     /* argv[0] is looked up in PATH from envp when it has no '/' */
	const char *const *envp;
	const char *cwd;
	uint32_t uid;
	uint32_t gid;
	const uint32_t *groups;
	int32_t n_groups;
	int32_t no_new_privs;
	uint64_t cap_bounding;       /* bit n = capability n; everything else is dropped */
	const struct ps_rlimit *rlimits;
	int32_t n_rlimits;

	/* keeper */
	const char *keeper_path;     /* bin/podshim-keeper */
	const char *log_path;        /* CRI log file */
	const char *exit_path;       /* exit.json */
	const char *cgroup_path;     /* NULL, or the container's cgroup directory (for OOM detection) */
};

struct ps_spawn_result {
	int32_t keeper_pid;
	int32_t container_pid;       /* -1: the keeper reports it as {PS_STEP_PID, pid} on status_fd */
	int32_t status_fd;           /* read end: struct ps_status messages, EOF after exec */
	int32_t control_fd;          /* write end to the keeper: write 'g' to start the container */
};

/* Starts the keeper, which creates the container process (held before execve).
 * The caller reads status_fd until PS_STEP_READY (collecting PS_STEP_PID on the way) or an
 * error, writes 'g' to control_fd, and reads status_fd until EOF (exec succeeded) or an error. */
PS_EXPORT int ps_spawn(const struct ps_spawn_spec *spec, struct ps_spawn_result *result);

struct ps_holder_spec {
	const char *pause_path;
	const char *hostname;        /* NULL: no hostname argument */
	int32_t ns_flags;            /* CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWPID subset */
	int32_t cgroup_fd;           /* -1, or a cgroup v2 directory fd: the holder starts there (CLONE_INTO_CGROUP) */
};

struct ps_holder_result {
	int32_t pid;
	int32_t pidfd;
	int32_t ready_fd;            /* read end: pause writes "r" when lo is up; EOF or text on failure */
	int32_t reserved;
};

/* Creates the pod's infra holder (podshim-pause) in new namespaces. */
PS_EXPORT int ps_holder_spawn(const struct ps_holder_spec *spec, struct ps_holder_result *result);

struct ps_exec_spec {
	int32_t target_pidfd;        /* a process of the container whose namespaces are joined */
	int32_t ns_flags;            /* namespaces to join: CLONE_NEWNS|CLONE_NEWPID|NET|IPC|UTS */
	int32_t cgroup_fd;           /* -1 or the container's cgroup directory */
	int32_t no_new_privs;
	const char *const *argv;
	const char *const *envp;
	const char *cwd;
	uint32_t uid;
	uint32_t gid;
	const uint32_t *groups;
	int32_t n_groups;
	int32_t stdin_null;          /* 1: stdin is /dev/null, 0: a pipe is returned */
	uint64_t cap_bounding;
	const char *keeper_path;     /* bin/podshim-keeper: its --enter mode joins the container */
};

struct ps_exec_result {
	int32_t pid;
	int32_t pidfd;               /* the exec'd process is a child of the caller: waitid(P_PIDFD) */
	int32_t stdin_fd;            /* write end, or -1 */
	int32_t stdout_fd;           /* read end */
	int32_t stderr_fd;           /* read end */
	int32_t status_fd;           /* read end: struct ps_status on failure, EOF after exec */
	int32_t fail_step;           /* pid == -1: where entering failed (enum ps_step) */
	int32_t fail_err;            /*            and its errno */
};

/* Runs a command inside a running container's namespaces and cgroup, through
 * podshim-keeper --enter (the supervisor itself never enters a container). */
PS_EXPORT int ps_exec(const struct ps_exec_spec *spec, struct ps_exec_result *result);

/* Returns 0 when the callers struct sizes match this library (else -EPROTO). */
PS_EXPORT int ps_abi_check(int spawn_spec, int mount, int holder_spec, int exec_spec);

/* Creates a socket inside the network namespace of the process behind pidfd, on the
 * calling thread (setns, socket, setns back). Returns the fd (close-on-exec) or -errno. */
PS_EXPORT int ps_socket_in_netns(int pidfd, int domain, int type, int protocol);

#endif
