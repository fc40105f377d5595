/* Helpers for code that runs in a child between clone and execve.
 *
 * Everything here is async-signal-safe: raw system calls, no allocation, no stdio, no locks.
 * glibc wrappers that broadcast to other threads (setuid, setgroups, ...) are avoided: the
 * children are created with raw clone3 from a multithreaded .NET process, so glibc's idea of
 * "the other threads" is stale there.
 */
#ifndef PODSHIM_CHILD_H
#define PODSHIM_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../include/podshim.h"

/* Kernel UAPI pieces we need, defined here because musl (the keeper's libc) ships no
 * linux/ headers. */
struct ps_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define PS_RESOLVE_NO_MAGICLINKS 0x02
#define PS_RESOLVE_IN_ROOT 0x10

struct ps_cap_header {
	uint32_t version;
	int pid;
};
struct ps_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};
#define PS_CAPABILITY_VERSION_3 0x20080522

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct ps_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* clone3 with fork semantics (no CLONE_VM): returns 0 in the child. */
long ps_clone3(struct ps_clone_args *args);

/* Reports {step, err} on fd (ignores failures: nothing else can be done). */
void ps_report(int fd, int step, int err);
/* Reports and exits with 127 (126 for EACCES/ENOEXEC at the exec step). */
__attribute__((noreturn)) void ps_fail(int fd, int step, int err);

/* Resets every signal handler to SIG_DFL and sets the mask (empty when unblock). */
void ps_reset_signals(int unblock);
/* Blocks all signals in the calling thread, saving the old mask in old (8 bytes). */
void ps_block_all_signals(uint64_t *old);
void ps_restore_signals(const uint64_t *old);

/* Marks every fd >= 3 close-on-exec, then clears the flag on keep[0..n). */
int ps_cloexec_all_but(const int *keep, int n);

/* Moves fd to a number >= 3 (close-on-exec) so dup2 onto 0..2 can never clobber it. */
int ps_fd_above_stdio(int fd);
/* pipe2(O_CLOEXEC) with both ends above 2. */
int ps_pipe(int p[2]);

/* Decimal formatting into buf (at least 21 bytes); returns buf. */
char *ps_itoa(long v, char *buf);
size_t ps_strlen(const char *s);
/* Writes a|b|c into buf (size n), truncating; returns 0, or -ENAMETOOLONG. */
int ps_concat3(char *buf, size_t n, const char *a, const char *b, const char *c);

/* execve with a PATH search taken from envp when argv[0] has no '/'.
 * Returns only on failure, with the errno that decides 126 vs 127. */
int ps_execvpe(const char *const *argv, const char *const *envp);

/* Sets groups, gid and uid with raw syscalls, keeping capabilities across the uid change,
 * then limits the bounding set to cap_bounding and sets permitted/effective to it (root) or
 * to nothing (other users); inheritable and ambient are always empty. */
int ps_set_user_and_caps(int status_fd, uint32_t uid, uint32_t gid, const uint32_t *groups,
			 int n_groups, uint64_t cap_bounding);

/* The last steps before execve, shared by containers and exec'd commands: CPU affinity reset
 * to what the cgroup allows, identity and capabilities, no_new_privs, every fd above 2 close-on-exec, then the working directory,
 * checked to lie inside the root. Reports a failure on status_fd and returns -1. */
int ps_finish_process(int status_fd, uint32_t uid, uint32_t gid, const uint32_t *groups, int n_groups,
		      uint64_t cap_bounding, int no_new_privs, const char *cwd);

/* vfork + execve of one of our static binaries with the given stdio; every other fd but
 * keep[] closes at execve. Exec failures are reported on status_fd. Returns the pid or -errno. */
pid_t ps_vfork_exec(const char *path, char *const *argv, char *const *envp, const int stdio[3],
		    const int *keep, int n_keep, int status_fd, int new_session);

/* Container filesystem: everything from making / rslave to pivot_root and masking. */
int ps_setup_rootfs(const struct ps_spawn_spec *spec, int status_fd);

/* The fds a container child is created with. */
struct ps_child_fds {
	int status_w;   /* kept until execve: errors, READY, then EOF */
	int go_r;       /* one byte from the keeper lets it execve */
	int out_w;
	int err_w;
	int null_fd;
	int close_fds[8]; /* the keeper's ends, closed first thing (-1 for unused) */
};

/* The container child, from namespaces to execve. Never returns. */
__attribute__((noreturn)) void ps_container_child(const struct ps_spawn_spec *spec, const struct ps_child_fds *fds);

/* What ps_create_container gives the keeper. */
struct ps_created {
	int pid;
	int pidfd;
	int out_r;
	int err_r;
	int go_w;
};

/* In the keeper: creates the container child (clone3 with new mount and pid namespaces, into
 * its cgroup), held before execve. Failures are reported on status_fd and returned as -errno. */
int ps_create_container(const struct ps_spawn_spec *spec, int status_fd, const int *keeper_fds,
			int n_keeper_fds, struct ps_created *out);

/* podshim-keeper --enter (enter.c): returns the keeper's exit code. */
int ps_enter_main(int argc, char **argv, char **envp);

/* Relocatable copy of a spec: pointers become offsets into one buffer (malloc'd; free it). */
int ps_spec_pack(const struct ps_spawn_spec *spec, char **buf, size_t *len);
/* Turns a packed buffer back into a spec in place; NULL when the buffer is malformed. */
struct ps_spawn_spec *ps_spec_unpack(char *buf, size_t len);

#endif
