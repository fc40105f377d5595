/* The container's filesystem, set up in its own mount namespace, from making / rslave to
 * pivot_root. Runs in the container child: async-signal-safe only (see child.h).
 *
 * Mount targets inside the rootfs are opened with openat2(RESOLVE_IN_ROOT) and mounted on
 * through /proc/self/fd/N, so a symlink planted in an image or a shared volume can never
 * send a mount outside the rootfs (runc CVE-2021-30465).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child.h"

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct ps_open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = PS_RESOLVE_IN_ROOT | PS_RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	return fd < 0 ? -errno : fd;
}

/* Writes "/proc/self/fd/N" into buf. */
static const char *fd_path(int fd, char *buf)
{
	char num[24];

	ps_concat3(buf, 40, "/proc/self/fd/", ps_itoa(fd, num), NULL);
	return buf;
}

/* Creates path (and its parents) inside the root, resolving every prefix within the root.
 * The last component becomes an empty file when is_file. Returns an O_PATH fd for it. */
static int create_in_root(int rootfd, const char *path, int is_file)
{
	char prefix[4096];
	size_t n = 0, len = ps_strlen(path);
	int fd;

	if (len >= sizeof prefix)
		return -ENAMETOOLONG;
	fd = openat2_in_root(rootfd, path, O_PATH);
	if (fd >= 0 || fd != -ENOENT)
		return fd;

	for (size_t i = 0; i <= len; i++) {
		int last, parent;
		const char *name;

		if (i < len && path[i] != '/') {
			prefix[n++] = path[i];
			continue;
		}
		prefix[n] = '\0';
		if (n == 0 || prefix[n - 1] == '/') {
			if (i < len)
				prefix[n++] = '/';
			continue;
		}
		last = i == len;
		fd = openat2_in_root(rootfd, prefix, O_PATH);
		if (fd == -ENOENT) {
			size_t cut = n;

			while (cut > 0 && prefix[cut - 1] != '/')
				cut--;
			name = prefix + cut;
			if (cut > 0)
				prefix[cut - 1] = '\0';
			parent = openat2_in_root(rootfd, cut > 0 ? prefix : "/", O_PATH | O_DIRECTORY);
			if (cut > 0)
				prefix[cut - 1] = '/';
			if (parent < 0)
				return parent;
			if (last && is_file) {
				int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);

				if (f < 0 && errno != EEXIST) {
					close(parent);
					return -errno;
				}
				if (f >= 0)
					close(f);
			} else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
				close(parent);
				return -errno;
			}
			close(parent);
			fd = openat2_in_root(rootfd, prefix, O_PATH);
		}
		if (fd < 0)
			return fd;
		if (last)
			return fd;
		close(fd);
		prefix[n++] = '/';
	}
	return -EINVAL;
}

/* Mounts on a target inside the root; MS_RDONLY on a bind mount needs a second remount,
 * done on a fresh fd because the first one still points below the new mount. */
static int mount_in_root(int rootfd, const char *source, const char *target, const char *fstype,
			 unsigned long flags, const char *data, int is_file)
{
	char buf[40];
	int fd = create_in_root(rootfd, target, is_file);
	int bind = (flags & MS_BIND) != 0;

	if (fd < 0)
		return fd;
	if (mount(source, fd_path(fd, buf), fstype, bind ? flags & ~MS_RDONLY : flags, data) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	if (bind && (flags & MS_RDONLY)) {
		fd = openat2_in_root(rootfd, target, O_PATH);
		if (fd < 0)
			return fd;
		if (mount(NULL, fd_path(fd, buf), NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
			  NULL) < 0) {
			int err = errno;

			close(fd);
			return -err;
		}
		close(fd);
	}
	return 0;
}

/* /proc, /sys and /dev of the image must be plain directories (or absent). */
static int check_special_dir(int rootfd, const char *name)
{
	struct stat st;

	if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

struct ps_devnode {
	const char *name;
	unsigned int major, minor;
};

static const struct ps_devnode devnodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const char *const devlinks[][2] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

static int setup_dev(int rootfd, const struct ps_spawn_spec *s, int *step)
{
	char buf[40];
	int devfd, r;
	struct stat st;

	*step = PS_STEP_DEV;
	r = mount_in_root(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			  "mode=755,size=65536k", 0);
	if (r < 0)
		return r;
	devfd = openat2_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (devfd < 0)
		return devfd;
	for (size_t i = 0; i < sizeof devnodes / sizeof devnodes[0]; i++) {
		if (mknodat(devfd, devnodes[i].name, S_IFCHR | 0666,
			    makedev(devnodes[i].major, devnodes[i].minor)) < 0)
			goto fail;
	}
	/* A fresh tmpfs cannot hold anything else, but check /dev/null is what it must be. */
	*step = PS_STEP_DEV_NULL;
	if (fstatat(devfd, "null", &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto fail;
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
		close(devfd);
		return -ENODEV;
	}
	*step = PS_STEP_DEV;
	for (size_t i = 0; i < sizeof devlinks / sizeof devlinks[0]; i++)
		if (symlinkat(devlinks[i][1], devfd, devlinks[i][0]) < 0)
			goto fail;
	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0
	    || mkdirat(devfd, "mqueue", 0755) < 0)
		goto fail;
	close(devfd);

	r = mount_in_root(rootfd, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", 0);
	if (r < 0)
		return r;
	if (s->shm_source)
		r = mount_in_root(rootfd, s->shm_source, "/dev/shm", NULL, MS_BIND | MS_REC, NULL, 0);
	else
		r = mount_in_root(rootfd, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "mode=1777,size=65536k", 0);
	if (r < 0)
		return r;
	r = mount_in_root(rootfd, "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL, 0);
	(void)buf;
	return r;
fail:
	r = -errno;
	close(devfd);
	return r;
}

/* Masks and read-only paths, applied after pivot_root (paths are the container's). */
static int mask_paths(const char *const *paths)
{
	struct stat st;

	for (; paths && *paths; paths++) {
		if (lstat(*paths, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", *paths, "tmpfs", MS_RDONLY, NULL) < 0)
				return -errno;
		} else if (mount("/dev/null", *paths, NULL, MS_BIND, NULL) < 0) {
			return -errno;
		}
	}
	return 0;
}

static int readonly_paths(const char *const *paths)
{
	for (; paths && *paths; paths++) {
		if (mount(*paths, *paths, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (mount(NULL, *paths, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return -errno;
	}
	return 0;
}

int ps_setup_rootfs(const struct ps_spawn_spec *s, int status_fd)
{
	int rootfd, r, step;

	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		ps_report(status_fd, PS_STEP_MOUNT_PRIVATE, errno);
		return -1;
	}
	if (s->overlay_data)
		r = mount("overlay", s->rootfs, "overlay", 0, s->overlay_data);
	else
		r = mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0) {
		ps_report(status_fd, PS_STEP_ROOTFS, errno);
		return -1;
	}
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		ps_report(status_fd, PS_STEP_ROOTFS, errno);
		return -1;
	}

	step = PS_STEP_ROOTFS_SYMLINK;
	if ((r = check_special_dir(rootfd, "proc")) < 0 || (r = check_special_dir(rootfd, "sys")) < 0
	    || (r = check_special_dir(rootfd, "dev")) < 0)
		goto fail;

	step = PS_STEP_MOUNTS;
	for (int i = 0; i < s->n_mounts; i++) {
		const struct ps_mount *m = &s->mounts[i];

		r = mount_in_root(rootfd, m->source, m->target, m->fstype, (unsigned long)m->flags,
				  m->data, m->target_is_file);
		if (r < 0)
			goto fail;
	}

	step = PS_STEP_PROC;
	r = mount_in_root(rootfd, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0);
	if (r < 0)
		goto fail;
	r = setup_dev(rootfd, s, &step);
	if (r < 0)
		goto fail;
	step = PS_STEP_SYS;
	r = mount_in_root(rootfd, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL, 0);
	if (r == -EPERM || r == -EBUSY)
		r = mount_in_root(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID
				  | MS_NODEV | MS_NOEXEC, NULL, 0);
	if (r < 0)
		goto fail;

	/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
	 * no host path reachable (runc does the same). */
	step = PS_STEP_PIVOT_ROOT;
	if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0
	    || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		r = -errno;
		goto fail;
	}
	close(rootfd);
	rootfd = -1;

	step = PS_STEP_MASK;
	if ((r = mask_paths(s->masked_paths)) < 0)
		goto fail;
	step = PS_STEP_READONLY_PATHS;
	if ((r = readonly_paths(s->readonly_paths)) < 0)
		goto fail;
	if (s->readonly_rootfs) {
		step = PS_STEP_READONLY_ROOT;
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) {
			r = -errno;
			goto fail;
		}
	}
	return 0;
fail:
	ps_report(status_fd, step, -r);
	return -1;
}
