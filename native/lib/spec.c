/* A spawn spec packed into one relocatable buffer, so the supervisor can hand it to the
 * keeper through a memfd: every pointer is stored as (offset + 1) from the buffer's start,
 * 0 meaning NULL. Unpacking checks every offset and string against the buffer's length. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"

#define PACK_MAGIC 0x70737063U /* "pspc" */

struct packed_header {
	uint32_t magic;
	uint32_t spec_size;
};

struct packer {
	char *buf;
	size_t len, cap;
};

static int reserve(struct packer *p, size_t n, size_t align, size_t *at)
{
	size_t start = (p->len + align - 1) & ~(align - 1);

	if (start + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < start + n)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		memset(b + p->cap, 0, cap - p->cap);
		p->buf = b;
		p->cap = cap;
	}
	*at = start;
	p->len = start + n;
	return 0;
}

/* Appends a string; returns its (offset + 1), 0 for NULL, or -errno. */
static long put_string(struct packer *p, const char *s)
{
	size_t at, n;

	if (!s)
		return 0;
	n = strlen(s) + 1;
	if (reserve(p, n, 1, &at) < 0)
		return -ENOMEM;
	memcpy(p->buf + at, s, n);
	return (long)at + 1;
}

static long put_bytes(struct packer *p, const void *data, size_t n, size_t align)
{
	size_t at;

	if (!data || n == 0)
		return 0;
	if (reserve(p, n, align, &at) < 0)
		return -ENOMEM;
	memcpy(p->buf + at, data, n);
	return (long)at + 1;
}

/* A NULL-terminated string array becomes an array of offsets ending with 0. */
static long put_strings(struct packer *p, const char *const *v)
{
	size_t count = 0, at;
	long off;

	if (!v)
		return 0;
	while (v[count])
		count++;
	if (reserve(p, (count + 1) * sizeof(uint64_t), sizeof(uint64_t), &at) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		off = put_string(p, v[i]);
		if (off < 0)
			return off;
		/* p->buf may have moved: index, never keep pointers. */
		((uint64_t *)(void *)(p->buf + at))[i] = (uint64_t)off;
	}
	return (long)at + 1;
}

#define SET(field, expr)                                                                     \
	do {                                                                                 \
		long off_ = (expr);                                                          \
		if (off_ < 0)                                                                \
			goto nomem;                                                          \
		((struct ps_spawn_spec *)(void *)(p.buf + spec_at))->field = (void *)(uintptr_t)off_; \
	} while (0)

int ps_spec_pack(const struct ps_spawn_spec *s, char **buf, size_t *len)
{
	struct packer p = { 0 };
	struct packed_header hdr = { PACK_MAGIC, sizeof *s };
	size_t hdr_at, spec_at, mounts_at = 0;

	if (reserve(&p, sizeof hdr, 8, &hdr_at) < 0 || reserve(&p, sizeof *s, 8, &spec_at) < 0)
		goto nomem;
	memcpy(p.buf + hdr_at, &hdr, sizeof hdr);
	memcpy(p.buf + spec_at, s, sizeof *s);

	if (s->n_mounts > 0) {
		if (reserve(&p, (size_t)s->n_mounts * sizeof(struct ps_mount), 8, &mounts_at) < 0)
			goto nomem;
		for (int i = 0; i < s->n_mounts; i++) {
			const struct ps_mount *m = &s->mounts[i];
			struct ps_mount packed = *m;
			long src = put_string(&p, m->source), tgt = put_string(&p, m->target);
			long fst = put_string(&p, m->fstype), dat = put_string(&p, m->data);

			if (src < 0 || tgt < 0 || fst < 0 || dat < 0)
				goto nomem;
			packed.source = (void *)(uintptr_t)src;
			packed.target = (void *)(uintptr_t)tgt;
			packed.fstype = (void *)(uintptr_t)fst;
			packed.data = (void *)(uintptr_t)dat;
			memcpy(p.buf + mounts_at + (size_t)i * sizeof packed, &packed, sizeof packed);
		}
		((struct ps_spawn_spec *)(void *)(p.buf + spec_at))->mounts = (void *)(uintptr_t)(mounts_at + 1);
	} else {
		((struct ps_spawn_spec *)(void *)(p.buf + spec_at))->mounts = NULL;
	}
	SET(rootfs, put_string(&p, s->rootfs));
	SET(overlay_data, put_string(&p, s->overlay_data));
	SET(shm_source, put_string(&p, s->shm_source));
	SET(masked_paths, put_strings(&p, s->masked_paths));
	SET(readonly_paths, put_strings(&p, s->readonly_paths));
	SET(hostname, put_string(&p, s->hostname));
	SET(argv, put_strings(&p, s->argv));
	SET(envp, put_strings(&p, s->envp));
	SET(cwd, put_string(&p, s->cwd));
	SET(groups, put_bytes(&p, s->groups, (size_t)(s->n_groups > 0 ? s->n_groups : 0) * sizeof(uint32_t), 4));
	SET(rlimits, put_bytes(&p, s->rlimits, (size_t)(s->n_rlimits > 0 ? s->n_rlimits : 0) * sizeof(struct ps_rlimit), 8));
	SET(keeper_path, put_string(&p, s->keeper_path));
	SET(log_path, put_string(&p, s->log_path));
	SET(exit_path, put_string(&p, s->exit_path));
	SET(cgroup_path, put_string(&p, s->cgroup_path));
	*buf = p.buf;
	*len = p.len;
	return 0;
nomem:
	free(p.buf);
	return -ENOMEM;
}

/* Checks an offset (+1) for an object of n bytes; returns the pointer or NULL. */
static int relocate(char *buf, size_t len, const void *field, size_t n, void **out)
{
	uintptr_t off = (uintptr_t)field;

	if (off == 0) {
		*out = NULL;
		return 0;
	}
	off -= 1;
	if (off > len || n > len - off)
		return -1;
	*out = buf + off;
	return 0;
}

static int relocate_string(char *buf, size_t len, const char **field)
{
	void *p;

	if (relocate(buf, len, *field, 1, &p) < 0)
		return -1;
	if (p && !memchr(p, '\0', len - (size_t)((char *)p - buf)))
		return -1;
	*field = p;
	return 0;
}

static int relocate_strings(char *buf, size_t len, const char *const **field)
{
	void *p;
	uint64_t *offs;

	if (relocate(buf, len, *field, sizeof(uint64_t), &p) < 0)
		return -1;
	if (!p) {
		*field = NULL;
		return 0;
	}
	/* The offsets are rewritten in place as pointers (same size on 64-bit). */
	offs = p;
	for (size_t i = 0;; i++) {
		const char *s;

		if ((char *)&offs[i] + sizeof(uint64_t) > buf + len)
			return -1;
		if (offs[i] == 0)
			break;
		s = (const char *)(uintptr_t)offs[i];
		if (relocate_string(buf, len, &s) < 0)
			return -1;
		offs[i] = (uint64_t)(uintptr_t)s;
	}
	*field = (const char *const *)(void *)offs;
	return 0;
}

struct ps_spawn_spec *ps_spec_unpack(char *buf, size_t len)
{
	struct packed_header hdr;
	struct ps_spawn_spec *s;
	void *p;

	if (len < sizeof hdr + sizeof *s || ((uintptr_t)buf & 7))
		return NULL;
	memcpy(&hdr, buf, sizeof hdr);
	if (hdr.magic != PACK_MAGIC || hdr.spec_size != sizeof *s)
		return NULL;
	s = (struct ps_spawn_spec *)(void *)(buf + 8);
	if (s->n_mounts < 0 || s->n_groups < 0 || s->n_rlimits < 0)
		return NULL;
	if (relocate(buf, len, s->mounts, (size_t)s->n_mounts * sizeof(struct ps_mount), &p) < 0)
		return NULL;
	s->mounts = p;
	for (int i = 0; i < s->n_mounts; i++) {
		struct ps_mount *m = (struct ps_mount *)(uintptr_t)&s->mounts[i];

		if (relocate_string(buf, len, &m->source) < 0 || relocate_string(buf, len, &m->target) < 0
		    || relocate_string(buf, len, &m->fstype) < 0 || relocate_string(buf, len, &m->data) < 0)
			return NULL;
	}
	if (relocate_string(buf, len, &s->rootfs) < 0 || relocate_string(buf, len, &s->overlay_data) < 0
	    || relocate_string(buf, len, &s->shm_source) < 0
	    || relocate_strings(buf, len, &s->masked_paths) < 0
	    || relocate_strings(buf, len, &s->readonly_paths) < 0
	    || relocate_string(buf, len, &s->hostname) < 0 || relocate_strings(buf, len, &s->argv) < 0
	    || relocate_strings(buf, len, &s->envp) < 0 || relocate_string(buf, len, &s->cwd) < 0
	    || relocate_string(buf, len, &s->keeper_path) < 0 || relocate_string(buf, len, &s->log_path) < 0
	    || relocate_string(buf, len, &s->exit_path) < 0 || relocate_string(buf, len, &s->cgroup_path) < 0)
		return NULL;
	if (relocate(buf, len, s->groups, (size_t)s->n_groups * sizeof(uint32_t), &p) < 0)
		return NULL;
	s->groups = p;
	if (relocate(buf, len, s->rlimits, (size_t)s->n_rlimits * sizeof(struct ps_rlimit), &p) < 0)
		return NULL;
	s->rlimits = p;
	if (!s->argv || !s->argv[0] || !s->envp || !s->rootfs || !s->cwd)
		return NULL;
	return s;
}
