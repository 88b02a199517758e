// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * falconer probe: the kernel side of `falconer probe`.
 *
 * Four BTF tracepoints (tp_btf: no kprobes, no tracefs needed):
 *   sys_exit                    the system calls user space asked for
 *                               (`syscall_spec`, indexed by x86-64 number;
 *                               arguments read from the registers, which a
 *                               system call leaves as they were);
 *   sched_process_exec          a program was started (new image in place);
 *   sched_process_fork          a process or thread was created;
 *   sched_process_exit          a thread ended.
 *
 * Each event is built in a per-CPU scratch record and copied into one ring
 * buffer with BPF_RB_NO_WAKEUP (user space drains it on a timer: waking the
 * consumer on every event costs microseconds). A failed copy counts a drop.
 *
 * Record layout (little endian), mirrored by src/record.rs:
 *   struct rec_hdr (96 bytes), then `nparams` parameters, each a u16 length
 *   and that many bytes. Which parameters follow depends on the kind and,
 *   for system calls, on the spec bits user space put in `syscall_spec`.
 *
 * The kernel side sends raw values (syscall arguments, Linux flags, kernel
 * addresses); user space maps them to Falco's event layouts and PPM flag
 * values.
 */
#include "falconer_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* ---------------------------------------------------------------- */
/* Shared with user space (src/record.rs).                            */

#define MAX_SYSCALLS 512

#define KIND_SYSCALL 1
#define KIND_EXEC 2
#define KIND_FORK 3
#define KIND_EXIT 4

#define SPEC_CAPTURE (1u << 0)
#define SPEC_PATH_A_SHIFT 1 /* 3 bits: argument index + 1 */
#define SPEC_PATH_B_SHIFT 4 /* 3 bits: argument index + 1 */
#define SPEC_SOCKADDR_SHIFT 7 /* 3 bits: argument index + 1, length in the next */
#define SPEC_TUPLE_ARG0 (1u << 10)
#define SPEC_TUPLE_RET (1u << 11)
#define SPEC_FILE_RET (1u << 12)
#define SPEC_PIPE_ARG0 (1u << 13)
#define SPEC_OPEN_HOW (1u << 14)
#define SPEC_SKIP_SUCCESS (1u << 15)
/* Bit 16 (SPEC_ENTER: keep the enter data at sys_enter) is retired: there
 * is no sys_enter program any more (it ran for every system call of the
 * machine). A successful exec is told execve from execveat by the
 * registers' orig_ax, which the new image's register reset keeps; every
 * other call reads its arguments at the exit; enter events written for
 * the state take the exit's time. */

/* Clone facts derived from the parent and child tasks. */
#define FORK_THREAD (1u << 0)
#define FORK_VM (1u << 1)
#define FORK_FS (1u << 2)
#define FORK_FILES (1u << 3)
#define FORK_VFORK (1u << 4)
#define FORK_IN_PIDNS (1u << 5)

struct rec_hdr {
	u64 ts;        /* bpf_ktime_get_boot_ns() at the event */
	u64 enter_ts;  /* 0: no enter hook (kept for the layout) */
	s64 ret;
	u64 args[6];
	u32 tid;
	u32 tgid;
	u32 size;      /* bytes, header included */
	u16 kind;
	u16 nr;        /* system call number (x86-64) */
	u16 nparams;
	u16 cpu;
	u32 pad;
};

struct proc_info {
	u32 tid, pid, ptid, vtid, vpid, vpgid, sid, loginuid;
	u32 uid, gid, euid, egid;
	u32 tty;       /* encoded device number, 0 without a terminal */
	u32 flags;     /* FORK_* for a fork */
	u64 fdlimit;
	u64 vm_size_kb;
	u64 pgft_maj, pgft_min;
	u64 start_time;
	u64 pidns_init_start;
	u64 cap_inheritable, cap_permitted, cap_effective;
	u64 exe_ino;
	u32 exe_dev;
	u32 pad;
};

/* Per CPU: only the local CPU writes its copy (programs run with
 * preemption disabled), so plain increments suffice. */
struct counters {
	u64 records;
	u64 drops;
	u64 bytes;
	u64 enter_missing; /* always 0 since the enter hook is gone (layout) */
	u64 truncated;
};

/* ---------------------------------------------------------------- */

#define REC_SIZE 32768
#define PARAM_START_MASK (16384 - 1) /* every parameter starts below 16 KiB */
#define MAX_STR 4096
#define MAX_ARGS_BYTES 4096
#define MAX_ENV_BYTES 4096
#define MAX_SOCKADDR 128

#define TMP_SIZE 8192
#define TMP_END 4096      /* paths are built backwards from here */
#define TMP_MASK (4096 - 1)
#define MAX_COMPONENTS 64
#define MAX_CGROUP_DEPTH 16
#define NUM_CGROUPS 5

/* The last cgroups parameter built on this CPU, reused while the task's
 * five cgroups are the same nodes (kernfs ids are never reused) and the
 * entry is younger than CG_CACHE_NS: a process storm builds the paths
 * once per CPU and period instead of walking five hierarchies per record.
 * The age bound limits how long a renamed cgroup (cgroup v1 only) keeps
 * its old path. */
#define CG_CACHE_BYTES 4096
#define CG_CACHE_NS (100 * 1000 * 1000ULL)

struct rec_buf {
	u8 b[REC_SIZE];
};

/* Walk state lives in map memory, not on the stack: the verifier does not
 * track map contents, so every bpf_loop step starts from the same abstract
 * state and the callback is verified once, whatever the depth. */
struct walk {
	u64 d;          /* struct dentry * (path walk) or kernfs_node * (cgroup walk) */
	u64 vm;         /* struct vfsmount * */
	u64 m;          /* struct mount * */
	u64 root_d;
	u64 root_vm;
	u64 mnt_off;
	u32 pos;
	u32 last_pos;   /* the last cgroup path built: tmp[last_pos..TMP_END) */
	u64 last_kn;    /* ... and its kernfs node (0: none in this record) */
};

struct tmp_buf {
	struct walk w;
	/* put_process's task arguments (see there). */
	u64 task;
	u64 mem_task;
	/* put_process's proc_info, filled by the caller (see set_process). */
	struct proc_info pi;
	/* The task's cgroups (kernfs nodes and their ids) for cpuset, cpu,
	 * cpuacct, io, memory (0: no such subsystem), same. */
	u64 cg_kn[NUM_CGROUPS];
	u64 cg_id[NUM_CGROUPS];
	u8 b[TMP_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, u32);
	__type(value, u32);
} syscall_spec SEC(".maps");

/* Process ids (tgid) whose events are captured when `scoped` is set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u32);
	__type(value, u32);
} traced SEC(".maps");

/* The version of `traced`: bumped after every change the programs make to
 * it (fork adds, exit removes; user space fills it before attaching), so
 * that an answer cached per CPU (`scope_cache`) is used only while the set
 * is as it was when the answer was looked up. */
struct scope_gen {
	u64 gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scope_gen);
} scope_gen SEC(".maps");

/* The last `traced` lookup on this CPU: a storm of system calls from one
 * process looks its tgid up once per CPU and change of the set instead of
 * hashing it at every call (each helper call, and the hash lookup's
 * nested calls, cost their return thunks on mitigated kernels). */
#define SCOPE_UNKNOWN 0
#define SCOPE_OUT 1
#define SCOPE_IN 2

struct scope_cache {
	u64 gen;
	u32 tgid;
	u32 state; /* SCOPE_* */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scope_cache);
} scope_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct rec_buf);
} rec_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct tmp_buf);
} tmp_scratch SEC(".maps");

struct cg_cache {
	u64 id[NUM_CGROUPS];
	u64 ts;
	u32 len;
	u32 pad;
	u8 b[CG_CACHE_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cg_cache);
} cg_cache SEC(".maps");

/* Set by user space at load time. */
const volatile u32 own_tgid = 0;
const volatile u32 scoped = 0;

/* ---------------------------------------------------------------- */
/* Helpers                                                            */

static __always_inline struct counters *ctrs(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

/* Whether `tgid` is in the traced set, through the per-CPU cache. The
 * version is read before the lookup and bumped after each change, so a
 * cached answer older than a change is never used. */
static __always_inline bool in_traced(u32 tgid)
{
	u32 zero = 0;
	struct scope_gen *g = bpf_map_lookup_elem(&scope_gen, &zero);
	struct scope_cache *c = bpf_map_lookup_elem(&scope_cache, &zero);
	if (!g || !c)
		return bpf_map_lookup_elem(&traced, &tgid) != NULL;
	u64 gen = *(volatile u64 *)&g->gen;
	if (c->state != SCOPE_UNKNOWN && c->tgid == tgid && c->gen == gen)
		return c->state == SCOPE_IN;
	bool in = bpf_map_lookup_elem(&traced, &tgid) != NULL;
	c->gen = gen;
	c->tgid = tgid;
	c->state = in ? SCOPE_IN : SCOPE_OUT;
	return in;
}

/* After a change of `traced` (see scope_gen). */
static __always_inline void traced_changed(void)
{
	u32 zero = 0;
	struct scope_gen *g = bpf_map_lookup_elem(&scope_gen, &zero);
	if (g)
		__sync_fetch_and_add(&g->gen, 1);
}

static __always_inline bool interesting(u32 tgid)
{
	if (tgid == own_tgid)
		return false;
	if (scoped && !in_traced(tgid))
		return false;
	return true;
}

static __always_inline u8 *rec_get(void)
{
	u32 zero = 0;
	struct rec_buf *r = bpf_map_lookup_elem(&rec_scratch, &zero);
	return r ? r->b : NULL;
}

static __always_inline struct tmp_buf *tmp_buf_get(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&tmp_scratch, &zero);
}

static __always_inline u8 *tmp_get(void)
{
	struct tmp_buf *t = tmp_buf_get();
	return t ? t->b : NULL;
}

/* `off & PARAM_START_MASK` that clang cannot drop (it would after an
 * `off > PARAM_START_MASK` check, and the verifier would then lose the
 * bound): every write into the record goes through it. */
static __always_inline u32 bounded(u32 off)
{
	u64 v = off;
	asm volatile("%[v] &= 16383" : [v] "+r"(v));
	return v;
}

/* `off` through map memory: the verifier does not track map contents, so
 * the value comes back unknown (but bounded by the next write's mask) and
 * the paths through the optional parameters of sys_exit merge instead of
 * being verified combination by combination. */
static __always_inline u32 launder(struct rec_hdr *h, u32 off)
{
	*(volatile u32 *)&h->size = off;
	return *(volatile u32 *)&h->size;
}

static __always_inline u32 bounded_size(u32 size)
{
	u64 v = size;
	asm volatile("%[v] &= 32767" : [v] "+r"(v));
	return v;
}

/* Parameter writers: each returns the new offset; a parameter that would
 * start beyond PARAM_START_MASK is written as nothing (the record is then
 * flagged truncated by the caller through the parameter count). */

static __always_inline u32 put_len(u8 *rec, u32 off, u32 len)
{
	u32 o = bounded(off);
	rec[o] = len & 0xff;
	rec[o + 1] = (len >> 8) & 0xff;
	return off + 2 + len;
}

static __always_inline u32 put_empty(u8 *rec, u32 off)
{
	if (off > PARAM_START_MASK)
		return off;
	return put_len(rec, off, 0);
}

static __always_inline u32 put_user_str(u8 *rec, u32 off, u64 uptr)
{
	if (off > PARAM_START_MASK)
		return off;
	if (!uptr)
		return put_len(rec, off, 0);
	long n = bpf_probe_read_user_str(&rec[bounded(off) + 2], MAX_STR, (void *)uptr);
	if (n < 0)
		n = 0;
	return put_len(rec, off, (u32)n & (MAX_STR * 2 - 1));
}

static __always_inline u32 put_kernel_str(u8 *rec, u32 off, const void *kptr)
{
	if (off > PARAM_START_MASK)
		return off;
	if (!kptr)
		return put_len(rec, off, 0);
	long n = bpf_probe_read_kernel_str(&rec[bounded(off) + 2], MAX_STR, kptr);
	if (n < 0)
		n = 0;
	return put_len(rec, off, (u32)n & (MAX_STR * 2 - 1));
}

static __always_inline u32 put_user_bytes(u8 *rec, u32 off, u64 uptr, u64 len, u32 cap)
{
	if (off > PARAM_START_MASK)
		return off;
	if (!uptr || len == 0)
		return put_len(rec, off, 0);
	if (len > cap)
		len = cap;
	len &= (MAX_STR - 1);
	if (bpf_probe_read_user(&rec[bounded(off) + 2], len, (void *)uptr) < 0)
		len = 0;
	return put_len(rec, off, len);
}

static __always_inline u32 put_kernel_bytes(u8 *rec, u32 off, const void *src, u32 len)
{
	if (off > PARAM_START_MASK)
		return off;
	len &= (MAX_STR - 1);
	if (bpf_probe_read_kernel(&rec[bounded(off) + 2], len, src) < 0)
		len = 0;
	return put_len(rec, off, len);
}

static __always_inline void submit(u8 *rec, u32 off, u32 nparams, struct counters *c)
{
	struct rec_hdr *h = (struct rec_hdr *)rec;
	u32 size = off;
	if (size > REC_SIZE - 1) {
		size = REC_SIZE - 1;
		if (c)
			c->truncated += 1;
	}
	h->size = size;
	h->nparams = nparams;
	h->cpu = bpf_get_smp_processor_id();
	long err = bpf_ringbuf_output(&events, rec, bounded_size(size), BPF_RB_NO_WAKEUP);
	if (c) {
		if (err) {
			c->drops += 1;
		} else {
			c->records += 1;
			c->bytes += size;
		}
	}
}

static __always_inline u64 arg_at(const u64 *args, u32 i)
{
	switch (i) {
	case 0: return args[0];
	case 1: return args[1];
	case 2: return args[2];
	case 3: return args[3];
	case 4: return args[4];
	default: return args[5];
	}
}

/* The file of fd `fd` in `task`, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, s64 fd)
{
	if (fd < 0)
		return NULL;
	/* `task` is the current task (a trusted BTF pointer): direct loads
	 * down to the fd array, no helper call per member. */
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	u32 max = fdt->max_fds;
	if ((u64)fd >= max)
		return NULL;
	struct file **fda = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fda[fd]);
	return f;
}

/* The files_struct's embedded fd array (NR_OPEN_DEFAULT entries), which
 * the fd table uses until the process has more fds than that. */
#define FD_ARRAY_LEN 64

#define FD_CASE(i)                             \
	case i:                                \
		f = files->fd_array[i]; \
		break
#define FD_CASES8(i)                                                                  \
	FD_CASE(i); FD_CASE(i + 1); FD_CASE(i + 2); FD_CASE(i + 3); FD_CASE(i + 4); \
	FD_CASE(i + 5); FD_CASE(i + 6); FD_CASE(i + 7)

/* The file of fd `fd` in `task` as a BTF pointer, so that its members
 * (and the inode's) are read by direct loads instead of one helper call
 * each: possible while the fd table is the embedded array, indexed by a
 * constant (the verifier takes no variable offset into a BTF object, hence
 * the switch). Sets *done when it answered (the file, or NULL: no such
 * fd); otherwise the caller reads through fd_file. */
static __always_inline struct file *fd_file_direct(struct task_struct *task, s64 fd, bool *done)
{
	*done = false;
	if (fd < 0 || fd >= FD_ARRAY_LEN)
		return NULL;
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	u64 array = (u64)files + bpf_core_field_offset(struct files_struct, fd_array);
	if ((u64)fdt->fd != array)
		return NULL;
	*done = true;
	if ((u64)fd >= fdt->max_fds)
		return NULL;
	struct file *f = NULL;
	switch (fd) {
		FD_CASES8(0);
		FD_CASES8(8);
		FD_CASES8(16);
		FD_CASES8(24);
		FD_CASES8(32);
		FD_CASES8(40);
		FD_CASES8(48);
		FD_CASES8(56);
	}
	return f;
}

/* A path as seen from `root`: walks dentries up to the mount root, then
 * jumps to the mount point in the parent mount (mount-aware, so a process
 * inside a container sees its own paths). Built backwards in the tmp
 * scratch; the string is tmp[pos..TMP_END). One bpf_loop step per path
 * component keeps the verifier's work independent of the depth. */
static long path_step(u64 i, void *ctx)
{
	struct tmp_buf *t = tmp_buf_get();
	if (!t)
		return 1;
	struct walk *w = &t->w;
	struct dentry *d = (struct dentry *)w->d;
	struct vfsmount *vm = (struct vfsmount *)w->vm;
	struct mount *m = (struct mount *)w->m;
	if (!d)
		return 1;
	if (w->d == w->root_d && w->vm == w->root_vm)
		return 1;
	struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		if (d != mnt_root)
			return 1; /* the root of a filesystem that is not mounted here */
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m)
			return 1; /* the root of the mount tree */
		w->d = (u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->m = (u64)mp;
		w->vm = (u64)mp + w->mnt_off;
		return 0;
	}
	u32 len = BPF_CORE_READ(d, d_name.len);
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	len &= 255;
	u32 pos = w->pos;
	if (pos > TMP_END || len + 1 >= pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&t->b[pos & TMP_MASK], len, name);
	pos -= 1;
	t->b[pos & TMP_MASK] = '/';
	w->pos = pos;
	w->d = (u64)parent;
	return 0;
}

/* A path as seen from `root`: walks dentries up to the mount root, then
 * jumps to the mount point in the parent mount (mount-aware, so a process
 * inside a container sees its own paths). Built backwards in the tmp
 * scratch; returns the start (the string is tmp[pos..TMP_END)). */
static __always_inline u32 build_path(struct dentry *d, struct vfsmount *vm,
				      struct dentry *root_d, struct vfsmount *root_vm)
{
	struct tmp_buf *t = tmp_buf_get();
	if (!t)
		return TMP_END;
	u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	t->w.mnt_off = mnt_off;
	t->w.d = (u64)d;
	t->w.vm = (u64)vm;
	t->w.m = (u64)vm - mnt_off;
	t->w.root_d = (u64)root_d;
	t->w.root_vm = (u64)root_vm;
	t->w.pos = TMP_END;
	bpf_loop(MAX_COMPONENTS, path_step, NULL, 0);
	u32 pos = t->w.pos;
	if (pos > TMP_END || pos == 0)
		pos = TMP_END;
	if (pos == TMP_END) {
		pos -= 1;
		t->b[pos & TMP_MASK] = '/';
	}
	return pos;
}

/* Writes tmp[pos..TMP_END) plus a NUL as one parameter. */
static __always_inline u32 put_tmp_path(u8 *rec, u32 off, u8 *tmp, u32 pos)
{
	if (off > PARAM_START_MASK)
		return off;
	u32 len = (TMP_END - pos) & TMP_MASK;
	u32 start = bounded(off) + 2;
	bpf_probe_read_kernel(&rec[start], len, &tmp[pos & TMP_MASK]);
	rec[(start + len) & (REC_SIZE - 1)] = 0;
	return put_len(rec, off, len + 1);
}

static __always_inline u32 put_fs_path(u8 *rec, u32 off, u8 *tmp, struct task_struct *task,
				       struct dentry *d, struct vfsmount *vm)
{
	struct dentry *rd = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *rvm = BPF_CORE_READ(task, fs, root.mnt);
	u32 pos = build_path(d, vm, rd, rvm);
	return put_tmp_path(rec, off, tmp, pos);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *o = (void *)kn;
	return BPF_CORE_READ(o, parent);
}

/* One step of a cgroup path walk (kernfs node names up to the root). */
static long cg_step(u64 i, void *ctx)
{
	struct tmp_buf *t = tmp_buf_get();
	if (!t)
		return 1;
	struct kernfs_node *kn = (struct kernfs_node *)t->w.d;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1; /* the hierarchy's root has no name in the path */
	const char *kname = BPF_CORE_READ(kn, name);
	long n = bpf_probe_read_kernel_str(&t->b[TMP_END], 256, kname);
	if (n <= 1)
		return 1;
	u32 len = (u32)(n - 1) & 255;
	u32 pos = t->w.pos;
	if (pos > TMP_END || len + 1 >= pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&t->b[pos & TMP_MASK], len, &t->b[TMP_END]);
	pos -= 1;
	t->b[pos & TMP_MASK] = '/';
	t->w.pos = pos;
	t->w.d = (u64)parent;
	return 0;
}

/* Appends "<name>=<cgroup path>\0" for one subsystem at rec[at..]; returns
 * the bytes written. */
static __always_inline u32 put_cgroup(u8 *rec, u32 at, u8 *tmp, u64 kn,
				      const char *name, u32 name_len)
{
	if (at > PARAM_START_MASK || !kn)
		return 0;
	struct tmp_buf *t = tmp_buf_get();
	if (!t)
		return 0;
	u32 pos;
	if (kn && kn == t->w.last_kn) {
		/* The same cgroup as the previous subsystem (always so on the
		 * unified hierarchy): its path is still in the scratch. */
		pos = t->w.last_pos;
	} else {
		t->w.d = kn;
		t->w.pos = TMP_END;
		bpf_loop(MAX_CGROUP_DEPTH, cg_step, NULL, 0);
		pos = t->w.pos;
	}
	if (pos > TMP_END || pos == 0)
		pos = TMP_END;
	if (pos == TMP_END) {
		pos -= 1;
		tmp[pos & TMP_MASK] = '/';
	}
	t->w.last_kn = kn;
	t->w.last_pos = pos;
	u32 o = bounded(at);
	bpf_probe_read_kernel(&rec[o], name_len & 15, name);
	o += name_len & 15;
	rec[o & (REC_SIZE - 1)] = '=';
	o += 1;
	u32 len = (TMP_END - pos) & TMP_MASK;
	bpf_probe_read_kernel(&rec[o], len, &tmp[pos & TMP_MASK]);
	o += len;
	rec[o & (REC_SIZE - 1)] = 0;
	o += 1;
	return o - bounded(at);
}

/* One subsystem's "name=path\0" at rec[at..] (global: verified once);
 * the node is the tmp scratch's (set_process). Returns the bytes written. */
__noinline int put_one_cgroup(u32 at, u32 which)
{
	struct tmp_buf *t = tmp_buf_get();
	u8 *rec = rec_get();
	if (!rec || !t)
		return 0;
	switch (which) {
	case 0:
		return put_cgroup(rec, at, t->b, t->cg_kn[0], "cpuset", 6);
	case 1:
		return put_cgroup(rec, at, t->b, t->cg_kn[1], "cpu", 3);
	case 2:
		return put_cgroup(rec, at, t->b, t->cg_kn[2], "cpuacct", 7);
	case 3:
		return put_cgroup(rec, at, t->b, t->cg_kn[3], "io", 2);
	default:
		return put_cgroup(rec, at, t->b, t->cg_kn[4], "memory", 6);
	}
}

static __always_inline bool cg_cache_hit(struct cg_cache *c, struct tmp_buf *t, u64 now)
{
	if (c->len == 0 || c->len >= CG_CACHE_BYTES || now - c->ts >= CG_CACHE_NS)
		return false;
	for (u32 i = 0; i < NUM_CGROUPS; i++)
		if (c->id[i] != t->cg_id[i])
			return false;
	return true;
}

/* The cgroups parameter: cpuset, cpu, cpuacct, io and memory paths, the
 * subsystems Falco's drivers report (from this CPU's cache when the nodes
 * are the same). */
static __always_inline u32 put_cgroups(u8 *rec, u32 off)
{
	if (off > PARAM_START_MASK)
		return off;
	struct tmp_buf *t = tmp_buf_get();
	u32 zero = 0;
	struct cg_cache *c = bpf_map_lookup_elem(&cg_cache, &zero);
	if (!t || !c)
		return put_empty(rec, off);
	u64 now = bpf_ktime_get_boot_ns();
	u32 start = bounded(off) + 2;
	if (cg_cache_hit(c, t, now)) {
		/* The mask, kept from clang (which knows len is below it):
		 * the verifier needs the bound at the copy. */
		u64 len = c->len;
		asm volatile("%[v] &= 4095" : [v] "+r"(len));
		bpf_probe_read_kernel(&rec[start], len, c->b);
		return put_len(rec, off, len);
	}
	t->w.last_kn = 0; /* other paths were built in the scratch since */
	u32 at = start;
	for (u32 i = 0; i < NUM_CGROUPS; i++) {
		u32 n = put_one_cgroup(at, i);
		at += n & (TMP_SIZE - 1);
	}
	u32 len = (at - start) & (REC_SIZE - 1);
	/* Cached only when complete (no subsystem left out at the limit). */
	c->len = 0;
	if (len > 0 && len < CG_CACHE_BYTES && at <= PARAM_START_MASK &&
	    bpf_probe_read_kernel(c->b, len, &rec[start]) == 0) {
		for (u32 i = 0; i < NUM_CGROUPS; i++)
			c->id[i] = t->cg_id[i];
		c->ts = now;
		c->len = len;
	}
	return put_len(rec, off, len);
}

/* The task's working directory (which = 0) or its memory's executable
 * (which = 1), mount-aware (global: verified once). */
__noinline int put_task_path(u32 off, u32 which)
{
	struct tmp_buf *t = tmp_buf_get();
	u8 *rec = rec_get();
	if (!rec || !t)
		return off;
	struct task_struct *task = (struct task_struct *)t->task;
	struct task_struct *mem_task = (struct task_struct *)t->mem_task;
	struct dentry *d = NULL;
	struct vfsmount *vm = NULL;
	if (which == 0) {
		d = BPF_CORE_READ(task, fs, pwd.dentry);
		vm = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *exe = BPF_CORE_READ(mem_task, mm, exe_file);
		if (exe) {
			d = BPF_CORE_READ(exe, f_path.dentry);
			vm = BPF_CORE_READ(exe, f_path.mnt);
		}
	}
	if (!d || !vm)
		return put_empty(rec, off);
	return put_fs_path(rec, off, t->b, task, d, vm);
}

/* `pid->numbers[level].nr`. `numbers` is a flexible array in the kernel,
 * so the element is addressed from the member's relocated offset rather
 * than through an array access relocation. */
static __always_inline u32 pid_number(struct pid *p, u32 level)
{
	u64 base = bpf_core_field_offset(struct pid, numbers);
	u64 stride = bpf_core_type_size(struct upid);
	u64 nr_off = bpf_core_field_offset(struct upid, nr);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (u8 *)p + base + (u64)(level & 31) * stride + nr_off);
	return nr;
}

/* The number of a pid as seen from its own (deepest) namespace. */
static __always_inline u32 pid_vnr(struct pid *p)
{
	if (!p)
		return 0;
	return pid_number(p, BPF_CORE_READ(p, level));
}

/* The number of pid `p` in the namespace at `level`, 0 if not visible. */
static __always_inline u32 pid_nr_at(struct pid *p, u32 level)
{
	if (!p)
		return 0;
	u32 plevel = BPF_CORE_READ(p, level);
	if (plevel < level)
		return 0;
	return pid_number(p, level);
}

static __always_inline u32 encode_dev(u32 kdev)
{
	u32 major = kdev >> 20;
	u32 minor = kdev & ((1u << 20) - 1);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* `task` is a BTF pointer (a tp_btf argument or the current task): its
 * members and the structures they point to are read with direct loads
 * (the verifier turns them into fault-tolerant loads; a NULL pointer
 * reads as 0), not one bpf_probe_read_kernel call per member. The pid
 * numbers take an indexed access into a flexible array: those go through
 * the helper. */
static __always_inline void fill_proc_info(struct proc_info *pi, struct task_struct *task)
{
	__builtin_memset(pi, 0, sizeof(*pi));
	pi->tid = task->pid;
	pi->pid = task->tgid;
	pi->ptid = task->real_parent->pid;
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	u32 level = tp ? BPF_CORE_READ(tp, level) : 0;
	pi->vtid = pid_vnr(tp);
	pi->vpid = pid_nr_at(BPF_CORE_READ(task, group_leader, thread_pid), level);
	pi->vpgid = pid_nr_at(BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID]), level);
	pi->sid = pid_nr_at(BPF_CORE_READ(task, signal, pids[PIDTYPE_SID]), 0);
	if (bpf_core_field_exists(task->loginuid))
		pi->loginuid = task->loginuid.val;
	else
		pi->loginuid = (u32)-1;
	const struct cred *cred = task->cred;
	pi->uid = cred->uid.val;
	pi->gid = cred->gid.val;
	pi->euid = cred->euid.val;
	pi->egid = cred->egid.val;
	pi->cap_inheritable = cred->cap_inheritable.val;
	pi->cap_permitted = cred->cap_permitted.val;
	pi->cap_effective = cred->cap_effective.val;
	struct signal_struct *sig = task->signal;
	struct tty_struct *tty = sig->tty;
	if (tty) {
		int index = tty->index;
		struct tty_driver *drv = tty->driver;
		int major = drv->major;
		int minor_start = drv->minor_start;
		u32 minor = (u32)(minor_start + index);
		pi->tty = (minor & 0xff) | ((u32)major << 8) | ((minor & ~0xffu) << 12);
	}
	pi->fdlimit = sig->rlim[7].rlim_cur; /* RLIMIT_NOFILE */
	struct mm_struct *mm = task->mm;
	if (mm)
		pi->vm_size_kb = mm->total_vm * 4;
	pi->pgft_maj = task->maj_flt;
	pi->pgft_min = task->min_flt;
	pi->start_time = task->start_time;
	struct task_struct *reaper = task->nsproxy->pid_ns_for_children->child_reaper;
	if (reaper)
		pi->pidns_init_start = reaper->start_time;
	if (mm) {
		struct file *exe = mm->exe_file;
		if (exe) {
			struct inode *ino = exe->f_inode;
			if (ino) {
				pi->exe_ino = ino->i_ino;
				pi->exe_dev = encode_dev(ino->i_sb->s_dev);
			}
		}
	}
}

/* The parameters common to exec and fork records:
 *   comm, args, env, cwd, cgroups, proc_info, exe path.
 * env and the exe path only with these flags (a fork's clone event has
 * neither: the walk of the exe path would be wasted there). */
#define WITH_ENV (1u << 31)
#define WITH_EXE (1u << 30)

/* The kernfs node of `task`'s cgroup in subsystem `subsys_id` (a CO-RE enum
 * value) and its id, in slot `i` (0 when the kernel has no such
 * subsystem). Direct loads: `task` is a BTF pointer. */
#define CG_SLOT(i, subsys_id)                                                                      \
	do {                                                                                       \
		t->cg_kn[i] = 0;                                                                   \
		t->cg_id[i] = 0;                                                                   \
		if (bpf_core_enum_value_exists(enum cgroup_subsys_id, subsys_id)) {                \
			struct cgroup_subsys_state *css =                                          \
				cs->subsys[bpf_core_enum_value(enum cgroup_subsys_id, subsys_id)]; \
			struct kernfs_node *kn = css ? css->cgroup->kn : NULL;                     \
			if (kn) {                                                                  \
				t->cg_kn[i] = (u64)kn;                                             \
				t->cg_id[i] = kn->id;                                              \
			}                                                                          \
		}                                                                                  \
	} while (0)

static __always_inline void fill_cgroups(struct tmp_buf *t, struct task_struct *task)
{
	struct css_set *cs = task->cgroups;
	CG_SLOT(0, cpuset_cgrp_id);
	CG_SLOT(1, cpu_cgrp_id);
	CG_SLOT(2, cpuacct_cgrp_id);
	CG_SLOT(3, io_cgrp_id);
	CG_SLOT(4, memory_cgrp_id);
}

/* put_process's arguments: the task described, the task whose memory
 * holds its arguments, and its proc_info (filled here, where `task` is
 * still a BTF pointer). */
static __always_inline void set_process(struct task_struct *task, struct task_struct *mem_task)
{
	struct tmp_buf *t = tmp_buf_get();
	if (t) {
		t->task = (u64)task;
		t->mem_task = (u64)mem_task;
		fill_proc_info(&t->pi, task);
		fill_cgroups(t, task);
	}
}

/* A global function: the verifier checks it once, on its own, whatever
 * the callers (a static one is re-verified in every calling context).
 * Its arguments are therefore plain numbers; the two tasks are passed as
 * addresses in the tmp scratch (set_process) and only read through
 * bpf_probe_read_kernel, the proc_info is filled there; the record is
 * the per-CPU scratch. */
__noinline int put_process(u32 off, u32 flags)
{
	struct tmp_buf *t = tmp_buf_get();
	u8 *rec = rec_get();
	if (!rec || !t)
		return off;
	struct task_struct *task = (struct task_struct *)t->task;
	struct task_struct *mem_task = (struct task_struct *)t->mem_task;
	off = bounded(off);
	bool with_env = flags & WITH_ENV;
	bool with_exe = flags & WITH_EXE;
	u32 fork_flags = flags & ~(WITH_ENV | WITH_EXE);
	char comm[16];
	__builtin_memset(comm, 0, sizeof(comm));
	bpf_probe_read_kernel_str(comm, sizeof(comm), __builtin_preserve_access_index(&task->comm));
	off = put_kernel_str(rec, off, comm);

	/* The argument and environment areas of the memory image (read from
	 * the current task, whose memory is the one the fields describe). */
	struct mm_struct *mm = BPF_CORE_READ(mem_task, mm);
	if (mm) {
		u64 as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
		off = put_user_bytes(rec, off, as, ae > as ? ae - as : 0, MAX_ARGS_BYTES - 1);
		if (with_env) {
			u64 es = BPF_CORE_READ(mm, env_start), ee = BPF_CORE_READ(mm, env_end);
			off = put_user_bytes(rec, off, es, ee > es ? ee - es : 0, MAX_ENV_BYTES - 1);
		} else {
			off = put_empty(rec, off);
		}
	} else {
		off = put_empty(rec, off);
		off = put_empty(rec, off);
	}

	off = put_task_path(off, 0);

	off = put_cgroups(rec, off);

	if (off <= PARAM_START_MASK) {
		t->pi.flags = fork_flags;
		off = put_kernel_bytes(rec, off, &t->pi, sizeof(t->pi));
	}

	if (with_exe)
		off = put_task_path(off, 1);
	else
		off = put_empty(rec, off);
	return off;
}

/* A socket's endpoints: family, ports, addresses, kernel addresses of the
 * two ends (unix), unix path. 56 bytes + path. */
struct sock_tuple_raw {
	u16 family;
	u16 sport;   /* host order */
	u16 dport;   /* host order */
	u16 pad;
	u8 saddr[16];
	u8 daddr[16];
	u64 source;
	u64 dest;
};

static __always_inline u32 put_tuple(u8 *rec, u32 off, struct task_struct *task, s64 fd)
{
	if (off > PARAM_START_MASK)
		return off;
	struct file *f = fd_file(task, fd);
	if (!f)
		return put_len(rec, off, 0);
	u16 mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & 0170000) != 0140000) /* S_IFSOCK */
		return put_len(rec, off, 0);
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return put_len(rec, off, 0);
	struct sock_tuple_raw t;
	__builtin_memset(&t, 0, sizeof(t));
	t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	u32 extra = 0;
	if (t.family == 2) { /* AF_INET */
		u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(t.saddr, &s, 4);
		__builtin_memcpy(t.daddr, &d, 4);
		t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t.dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (t.family == 10) { /* AF_INET6 */
		BPF_CORE_READ_INTO(&t.saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t.daddr, sk, __sk_common.skc_v6_daddr);
		t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t.dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (t.family == 1) { /* AF_UNIX */
		struct unix_sock *us = (void *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		t.source = (u64)sk;
		t.dest = (u64)peer;
		/* The path of the peer's address (connect), or our own (accept). */
		struct unix_address *addr = NULL;
		if (peer) {
			struct unix_sock *ups = (void *)peer;
			addr = BPF_CORE_READ(ups, addr);
		}
		if (!addr)
			addr = BPF_CORE_READ(us, addr);
		if (addr) {
			u32 start = bounded(off) + 2 + sizeof(t);
			/* `name` is a flexible array of sockaddr_un: sun_path
			 * follows the 2-byte family. */
			const u8 *path = (const u8 *)addr + bpf_core_field_offset(struct unix_address, name) + 2;
			long n = bpf_probe_read_kernel_str(&rec[start], 108, path);
			if (n > 0)
				extra = (u32)n & 127;
		}
	}
	bpf_probe_read_kernel(&rec[bounded(off) + 2], sizeof(t), &t);
	return put_len(rec, off, sizeof(t) + extra);
}

/* Up to three members of a kernel struct at `base`, copied with one
 * helper call: the span from the lowest member (rounded down to 8 bytes,
 * so that every member keeps its natural alignment in `span`) to the end
 * of the highest. Offsets and sizes are CO-RE relocated constants, so the
 * verifier sees a constant size and constant indexes. Returns the span's
 * start offset, or SPAN_FAILED (members too far apart, or the read
 * failed): the caller then reads the members one by one. */
#define SPAN_WORDS 8
#define SPAN_FAILED 0xffffffffu

static __always_inline u32 read_span(u64 *span, const void *base, u32 a, u32 asz, u32 b,
				     u32 bsz, u32 c, u32 csz)
{
	if (!base)
		return SPAN_FAILED;
	u32 lo = a < b ? a : b;
	lo = lo < c ? lo : c;
	lo &= ~7u;
	u32 hi = a + asz;
	hi = hi > b + bsz ? hi : b + bsz;
	hi = hi > c + csz ? hi : c + csz;
	u32 len = hi - lo;
	if (len == 0 || len > SPAN_WORDS * 8)
		return SPAN_FAILED;
	if (bpf_probe_read_kernel(span, len, (const u8 *)base + lo) < 0)
		return SPAN_FAILED;
	return lo;
}

static __always_inline u32 span_u32(const u64 *span, u32 at)
{
	return *(const u32 *)((const u8 *)span + (at & (SPAN_WORDS * 8 - 4)));
}

static __always_inline u64 span_u64(const u64 *span, u32 at)
{
	return *(const u64 *)((const u8 *)span + (at & (SPAN_WORDS * 8 - 8)));
}

/* dev, ino, f_mode, f_flags of an open file. */
struct file_info_raw {
	u32 dev;
	u32 f_mode;
	u64 ino;
	u32 f_flags;
	u32 pad;
};

static __always_inline u32 put_file_info(u8 *rec, u32 off, struct task_struct *task, s64 fd)
{
	if (off > PARAM_START_MASK)
		return off;
	struct file_info_raw fi;
	__builtin_memset(&fi, 0, sizeof(fi));
	bool done = false;
	struct file *df = fd_file_direct(task, fd, &done);
	if (done) {
		if (!df)
			return put_len(rec, off, 0);
		fi.f_mode = df->f_mode;
		fi.f_flags = df->f_flags;
		struct inode *dino = df->f_inode;
		if (dino) {
			fi.ino = dino->i_ino;
			struct super_block *dsb = dino->i_sb;
			if (dsb)
				fi.dev = encode_dev(dsb->s_dev);
		}
		/* Stores, not a helper call (the record's scratch is plain map
		 * memory). */
		__builtin_memcpy(&rec[bounded(off) + 2], &fi, sizeof(fi));
		return put_len(rec, off, sizeof(fi));
	}
	struct file *f = fd_file(task, fd);
	if (!f)
		return put_len(rec, off, 0);
	/* f_mode, f_inode and f_flags lie within a few words of each other,
	 * as do the inode's i_sb and i_ino: one copy of each span instead of
	 * one helper call per member (see read_span). */
	u64 span[SPAN_WORDS];
	struct inode *ino = NULL;
	u32 m = bpf_core_field_offset(struct file, f_mode);
	u32 i = bpf_core_field_offset(struct file, f_inode);
	u32 fl = bpf_core_field_offset(struct file, f_flags);
	u32 lo = read_span(span, f, m, 4, i, 8, fl, 4);
	if (lo != SPAN_FAILED && bpf_core_field_size(struct file, f_mode) == 4 &&
	    bpf_core_field_size(struct file, f_flags) == 4) {
		fi.f_mode = span_u32(span, m - lo);
		ino = (struct inode *)span_u64(span, i - lo);
		fi.f_flags = span_u32(span, fl - lo);
	} else {
		fi.f_mode = BPF_CORE_READ(f, f_mode);
		ino = BPF_CORE_READ(f, f_inode);
		fi.f_flags = BPF_CORE_READ(f, f_flags);
	}
	u32 sb = bpf_core_field_offset(struct inode, i_sb);
	u32 in = bpf_core_field_offset(struct inode, i_ino);
	lo = read_span(span, ino, sb, 8, in, 8, in, 8);
	struct super_block *s = NULL;
	if (lo != SPAN_FAILED && bpf_core_field_size(struct inode, i_ino) == 8) {
		s = (struct super_block *)span_u64(span, sb - lo);
		fi.ino = span_u64(span, in - lo);
	} else {
		s = BPF_CORE_READ(ino, i_sb);
		fi.ino = BPF_CORE_READ(ino, i_ino);
	}
	fi.dev = encode_dev(BPF_CORE_READ(s, s_dev));
	bpf_probe_read_kernel(&rec[bounded(off) + 2], sizeof(fi), &fi);
	return put_len(rec, off, sizeof(fi));
}

static __always_inline void hdr_init(u8 *rec, u16 kind, u32 tid, u32 tgid)
{
	struct rec_hdr *h = (struct rec_hdr *)rec;
	__builtin_memset(h, 0, sizeof(*h));
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->tid = tid;
	h->tgid = tgid;
}

/* ---------------------------------------------------------------- */
/* Programs                                                           */

static __always_inline bool is_compat(struct task_struct *task)
{
	/* TS_COMPAT: a 32-bit system call on x86-64 (other numbers). */
	if (bpf_core_field_exists(task->thread_info.status))
		return task->thread_info.status & 0x0002;
	return false;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fal_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	if (id < 0 || id >= MAX_SYSCALLS)
		return 0;
	u32 key = id;
	u32 *specp = bpf_map_lookup_elem(&syscall_spec, &key);
	if (!specp)
		return 0;
	u32 spec = *specp;
	if (!(spec & SPEC_CAPTURE))
		return 0;
	/* The ids by direct loads from the current task (one helper call
	 * fewer than bpf_get_current_pid_tgid). */
	struct task_struct *task = bpf_get_current_task_btf();
	u64 pt = ((u64)(u32)task->tgid << 32) | (u32)task->pid;
	if (!interesting(pt >> 32))
		return 0;
	if (is_compat(task))
		return 0;
	struct counters *c = ctrs();
	/* tp_btf arguments are trusted pointers: direct (CO-RE relocated)
	 * loads, no helper call per register. */
	u64 args[6];
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
	if (spec & SPEC_SKIP_SUCCESS) {
		/* execve/execveat: success is reported by sched_process_exec;
		 * a failure becomes an exec record of the unchanged process with
		 * the error (Falco's drivers fill every parameter then too). */
		if (ret == 0)
			return 0;
		u8 *rec = rec_get();
		u8 *tmp = tmp_get();
		if (!rec || !tmp)
			return 0;
		hdr_init(rec, KIND_EXEC, (u32)pt, pt >> 32);
		struct rec_hdr *h = (struct rec_hdr *)rec;
		h->ret = ret;
		h->nr = key;
		h->args[0] = (u32)pt;
		h->args[1] = args[0];
		h->args[2] = args[2];
		h->args[3] = args[4];
		u32 a = (spec >> SPEC_PATH_A_SHIFT) & 7;
		u32 off = sizeof(struct rec_hdr);
		off = put_user_str(rec, off, a ? arg_at(args, a - 1) : 0);
		set_process(task, task);
		off = put_process(off, WITH_ENV | WITH_EXE);
		submit(rec, off, 8, c);
		return 0;
	}

	u8 *rec = rec_get();
	if (!rec)
		return 0;
	hdr_init(rec, KIND_SYSCALL, (u32)pt, pt >> 32);
	struct rec_hdr *h = (struct rec_hdr *)rec;
	h->ret = ret;
	h->nr = key;
	h->args[0] = args[0];
	h->args[1] = args[1];
	h->args[2] = args[2];
	h->args[3] = args[3];
	h->args[4] = args[4];
	h->args[5] = args[5];

	u32 off = sizeof(struct rec_hdr);
	u32 n = 0;
	u32 a = (spec >> SPEC_PATH_A_SHIFT) & 7;
	if (a) {
		off = put_user_str(rec, off, arg_at(args, a - 1));
		n++;
		off = launder(h, off);
	}
	u32 b = (spec >> SPEC_PATH_B_SHIFT) & 7;
	if (b) {
		off = put_user_str(rec, off, arg_at(args, b - 1));
		n++;
		off = launder(h, off);
	}
	u32 sa = (spec >> SPEC_SOCKADDR_SHIFT) & 7;
	if (sa) {
		off = put_user_bytes(rec, off, arg_at(args, sa - 1), arg_at(args, sa), MAX_SOCKADDR);
		n++;
		off = launder(h, off);
	}
	if (spec & SPEC_TUPLE_ARG0) {
		off = put_tuple(rec, off, task, (s64)(s32)args[0]);
		n++;
		off = launder(h, off);
	}
	if (spec & SPEC_TUPLE_RET) {
		off = put_tuple(rec, off, task, ret);
		n++;
		off = launder(h, off);
	}
	if (spec & SPEC_FILE_RET) {
		off = put_file_info(rec, off, task, ret);
		n++;
		off = launder(h, off);
	}
	if (spec & SPEC_PIPE_ARG0) {
		int fds[2] = {-1, -1};
		if (ret == 0)
			bpf_probe_read_user(fds, sizeof(fds), (void *)args[0]);
		off = put_kernel_bytes(rec, off, fds, sizeof(fds));
		off = put_file_info(rec, off, task, fds[0]);
		n += 2;
		off = launder(h, off);
	}
	if (spec & SPEC_OPEN_HOW) {
		off = put_user_bytes(rec, off, args[2], args[3], 24);
		n++;
		off = launder(h, off);
	}
	submit(rec, off, n, c);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(fal_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	u64 pt = bpf_get_current_pid_tgid();
	if (!interesting(pt >> 32))
		return 0;
	struct counters *c = ctrs();
	u8 *rec = rec_get();
	u8 *tmp = tmp_get();
	if (!rec || !tmp)
		return 0;
	hdr_init(rec, KIND_EXEC, BPF_CORE_READ(p, pid), BPF_CORE_READ(p, tgid));
	struct rec_hdr *h = (struct rec_hdr *)rec;
	h->args[0] = (u32)old_pid;
	struct task_struct *task = bpf_get_current_task_btf();
	/* The system call, without an enter hook: an execveat that names
	 * the file through a descriptor (a directory fd and a relative path,
	 * or AT_EMPTY_PATH) has a generated name (bprm->fdpath); the user
	 * registers' orig_ax is checked too, but after a successful execveat
	 * it has been seen to read 59 on Linux 6.18. So an execveat with
	 * AT_FDCWD (the same as an execve of that path) is reported as
	 * execve. An exec from the kernel (no system call) counts as execve. */
	struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(task);
	h->nr = 59;
	if (uregs && uregs->orig_ax == 322)
		h->nr = 322;
	if (bpf_core_field_exists(bprm->fdpath) && bprm->fdpath)
		h->nr = 322;
	u32 off = sizeof(struct rec_hdr);
	off = put_kernel_str(rec, off, BPF_CORE_READ(bprm, filename));
	set_process(task, task);
	off = put_process(off, WITH_ENV | WITH_EXE);
	submit(rec, off, 8, c);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fal_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (ptgid == own_tgid)
		return 0;
	u32 ctid = BPF_CORE_READ(child, pid);
	u32 ctgid = BPF_CORE_READ(child, tgid);
	if (scoped) {
		if (!bpf_map_lookup_elem(&traced, &ptgid))
			return 0;
		u32 one = 1;
		bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
		traced_changed();
	}
	struct counters *c = ctrs();
	u8 *rec = rec_get();
	u8 *tmp = tmp_get();
	if (!rec || !tmp)
		return 0;
	u32 flags = 0;
	if (ctgid == ptgid)
		flags |= FORK_THREAD;
	if (BPF_CORE_READ(child, mm) == BPF_CORE_READ(parent, mm))
		flags |= FORK_VM;
	if (BPF_CORE_READ(child, fs) == BPF_CORE_READ(parent, fs))
		flags |= FORK_FS;
	if (BPF_CORE_READ(child, files) == BPF_CORE_READ(parent, files))
		flags |= FORK_FILES;
	if (BPF_CORE_READ(child, vfork_done))
		flags |= FORK_VFORK;
	struct pid *tp = BPF_CORE_READ(child, thread_pid);
	if (tp && BPF_CORE_READ(tp, level) > 0)
		flags |= FORK_IN_PIDNS;
	hdr_init(rec, KIND_FORK, ctid, ctgid);
	struct rec_hdr *h = (struct rec_hdr *)rec;
	h->args[0] = BPF_CORE_READ(parent, pid);
	u32 off = sizeof(struct rec_hdr);
	off = put_empty(rec, off); /* no file name */
	/* The child's memory is the parent's (shared or just copied): read the
	 * arguments through the current task, the parent. */
	struct task_struct *cur = bpf_get_current_task_btf();
	set_process(child, cur);
	off = put_process(off, flags);
	submit(rec, off, 8, c);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(fal_exit, struct task_struct *p)
{
	u32 tgid = BPF_CORE_READ(p, tgid);
	if (!interesting(tgid))
		return 0;
	u32 tid = BPF_CORE_READ(p, pid);
	struct counters *c = ctrs();
	u8 *rec = rec_get();
	if (rec) {
		hdr_init(rec, KIND_EXIT, tid, tgid);
		struct rec_hdr *h = (struct rec_hdr *)rec;
		h->ret = BPF_CORE_READ(p, exit_code);
		h->args[0] = BPF_CORE_READ(p, real_parent, pid);
		submit(rec, sizeof(struct rec_hdr), 0, c);
	}
	if (scoped && tid == tgid) {
		bpf_map_delete_elem(&traced, &tgid);
		traced_changed();
	}
	return 0;
}
