/*
 * libjobexec-spawn: how jobexec starts a process job (src/main/java/dev/jobexec/os/SpawnHelper.java
 * loads it into the service and calls jobexec_spawn through the Foreign Function & Memory API).
 *
 * One call starts one job with one clone and one execve, from the calling thread, the way
 * posix_spawn does: clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) on a stack of its own, so the
 * service's memory is not copied, the caller is suspended until the child has exec'd (or failed),
 * and the caller gets a pidfd of the child, whose parent is the service (it reaps it and reads its
 * real wait status). The child runs only the C code below and raw system calls, never Java (the
 * build links the library with -z now, so that not even the dynamic linker runs in it): before it
 * execs the job's command, in this order, it takes the job's pipes as descriptors 0 to 2, closes
 * every other descriptor, joins the job's cgroups (v2 and v1: nothing of the job's own runs outside
 * them), starts a new session, applies the rlimits, changes to the working directory, drops to the
 * run-as user, sets every signal to its default action and unblocks them all. A step that fails is
 * written to memory the caller reads once it resumes, and the child exits with 127.
 *
 * Signals: the caller blocks every signal around the clone, so that no handler of the service runs
 * in the child (which shares its memory); the child sets each to its default before it unblocks
 * them. Credentials change through raw system calls: glibc's setresuid and setgroups would signal
 * every thread of the service to change theirs too. The stack is 64 KiB, far more than the
 * child's few fixed frames take.
 *
 * Linux 5.9+ (close_range); CLONE_PIDFD needs 5.2.
 *
 * Request (native byte order; the job's stdin, stdout and stderr are passed as descriptors):
 *   i32 version (2), i32 uid (-1: keep), i32 gid (-1: keep), i32 rlimit count,
 *   per rlimit: i32 resource, i64 soft, i64 hard,
 *   string cgroup v2 cgroup.procs file ("" for none), i32 v1 count, strings v1 cgroup.procs files,
 *   string working directory, i32 argc, strings argv, i32 envc, strings envp
 *   (a string is an i32 length and its bytes, no terminator).
 * Result: i32 pid (0 when there is no child), i32 pidfd (-1 without one), i32 failed step, i32 errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define JOB_FDS 3
#define CHILD_STACK (64 * 1024)

/* Numbered as SpawnHelper.STEPS names them; STEP_CGROUP_OPEN and STEP_PIPE are no longer reported
 * (the fork server used them) and keep their numbers so that the later ones keep theirs. */
enum step {
	STEP_NONE, STEP_REQUEST, STEP_CGROUP_OPEN, STEP_PIPE, STEP_CLONE, STEP_CGROUP_JOIN, STEP_SETSID,
	STEP_DUP, STEP_RLIMIT, STEP_USER, STEP_CHDIR, STEP_CLOSE, STEP_EXEC
};

struct reader {
	const char *at;
	const char *end;
	int bad;
};

static int32_t read_i32(struct reader *r) {
	int32_t value = 0;
	if (r->end - r->at < 4) {
		r->bad = 1;
		return 0;
	}
	memcpy(&value, r->at, 4);
	r->at += 4;
	return value;
}

static int64_t read_i64(struct reader *r) {
	int64_t value = 0;
	if (r->end - r->at < 8) {
		r->bad = 1;
		return 0;
	}
	memcpy(&value, r->at, 8);
	r->at += 8;
	return value;
}

/* A NUL-terminated copy of the next string, or NULL (and r->bad) when the request is short. */
static char *read_string(struct reader *r) {
	int32_t length = read_i32(r);
	if (r->bad || length < 0 || r->end - r->at < length) {
		r->bad = 1;
		return NULL;
	}
	char *copy = malloc((size_t) length + 1);
	if (copy == NULL) {
		r->bad = 1;
		return NULL;
	}
	memcpy(copy, r->at, (size_t) length);
	copy[length] = '\0';
	r->at += length;
	return copy;
}

static char **read_strings(struct reader *r, int32_t *count) {
	*count = read_i32(r);
	if (r->bad || *count < 0 || *count > (r->end - r->at) / 4) {
		r->bad = 1;
		return NULL;
	}
	char **strings = calloc((size_t) *count + 1, sizeof(char *));
	if (strings == NULL) {
		r->bad = 1;
		return NULL;
	}
	for (int32_t i = 0; i < *count && !r->bad; i++) {
		strings[i] = read_string(r);
	}
	return strings;
}

static void free_strings(char **strings, int32_t count) {
	if (strings != NULL) {
		for (int32_t i = 0; i < count; i++) {
			free(strings[i]);
		}
		free(strings);
	}
}

struct request {
	int32_t uid;
	int32_t gid;
	int32_t rlimits;
	int32_t *resources;
	struct rlimit *limits;
	char *cgroup;
	int32_t v1_count;
	char **v1_procs;
	char *directory;
	int32_t argc;
	char **argv;
	int32_t envc;
	char **envp;
};

static void free_request(struct request *q) {
	free(q->resources);
	free(q->limits);
	free(q->cgroup);
	free(q->directory);
	free_strings(q->v1_procs, q->v1_count);
	free_strings(q->argv, q->argc);
	free_strings(q->envp, q->envc);
}

static int parse(const char *body, size_t length, struct request *q) {
	struct reader r = { body, body + length, 0 };
	memset(q, 0, sizeof *q);
	if (read_i32(&r) != 2) {
		return -1;
	}
	q->uid = read_i32(&r);
	q->gid = read_i32(&r);
	q->rlimits = read_i32(&r);
	if (r.bad || q->rlimits < 0 || q->rlimits > 64) {
		return -1;
	}
	q->resources = calloc((size_t) q->rlimits + 1, sizeof(int32_t));
	q->limits = calloc((size_t) q->rlimits + 1, sizeof(struct rlimit));
	if (q->resources == NULL || q->limits == NULL) {
		return -1;
	}
	for (int32_t i = 0; i < q->rlimits; i++) {
		q->resources[i] = read_i32(&r);
		q->limits[i].rlim_cur = (rlim_t) read_i64(&r);
		q->limits[i].rlim_max = (rlim_t) read_i64(&r);
	}
	q->cgroup = read_string(&r);
	q->v1_procs = read_strings(&r, &q->v1_count);
	q->directory = read_string(&r);
	q->argv = read_strings(&r, &q->argc);
	q->envp = read_strings(&r, &q->envc);
	return (r.bad || q->argc < 1) ? -1 : 0;
}

/* What the child shares with its caller, which reads it once the child has exec'd or exited. */
struct child {
	const struct request *q;
	int fds[JOB_FDS];
	volatile int32_t step;
	volatile int32_t error;
};

__attribute__((noreturn)) static void fail_child(struct child *c, enum step step) {
	c->error = errno;
	c->step = step;
	syscall(SYS_exit_group, 127);
	__builtin_unreachable();
}

/* Writes "0" (the writer) into a cgroup.procs file. */
static int join(const char *procs) {
	long fd = syscall(SYS_openat, AT_FDCWD, procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	long n = syscall(SYS_write, fd, "0", 1);
	int error = errno;
	syscall(SYS_close, fd);
	errno = error;
	return (n == 1) ? 0 : -1;
}

/*
 * Runs in the child, on its own stack, in the caller's memory: everything up to the exec.
 * Only raw system calls (glibc's wrappers would touch the calling thread's cancellation state,
 * or signal every thread of the service), and nothing that takes a lock or allocates.
 */
static int become_job(void *argument) {
	struct child *c = argument;
	const struct request *q = c->q;
	/* A pipe end below 3 (a service started with a standard descriptor closed) is moved up
	 * first, so that no dup3 overwrites another of them. */
	for (int i = 0; i < JOB_FDS; i++) {
		if (c->fds[i] < JOB_FDS && (c->fds[i] = (int) syscall(SYS_fcntl, c->fds[i], F_DUPFD, JOB_FDS)) < 0) {
			fail_child(c, STEP_DUP);
		}
	}
	for (int i = 0; i < JOB_FDS; i++) {
		if (syscall(SYS_dup3, c->fds[i], i, 0) < 0) {
			fail_child(c, STEP_DUP);
		}
	}
	/* Closed now, not at the exec: a child that waits (a hung file system) must not hold other
	 * jobs' pipes or the service's sockets open meanwhile. */
	if (syscall(SYS_close_range, JOB_FDS, ~0U, 0) != 0) {
		fail_child(c, STEP_CLOSE);
	}
	if (q->cgroup[0] != '\0' && join(q->cgroup) != 0) {
		fail_child(c, STEP_CGROUP_JOIN);
	}
	for (int32_t i = 0; i < q->v1_count; i++) {
		if (join(q->v1_procs[i]) != 0) {
			fail_child(c, STEP_CGROUP_JOIN);
		}
	}
	if (syscall(SYS_setsid) < 0) {
		fail_child(c, STEP_SETSID);
	}
	for (int32_t i = 0; i < q->rlimits; i++) {
		if (syscall(SYS_prlimit64, 0, q->resources[i], &q->limits[i], NULL) != 0) {
			fail_child(c, STEP_RLIMIT);
		}
	}
	/* With the service's rights, as posix_spawn did: the directory is checked to be inside the
	 * pool's base directory, whose parents the run-as user may not be able to traverse. */
	if (syscall(SYS_chdir, q->directory) != 0) {
		fail_child(c, STEP_CHDIR);
	}
	if (q->gid >= 0 && (syscall(SYS_setgroups, 0, NULL) != 0
			|| syscall(SYS_setresgid, q->gid, q->gid, q->gid) != 0)) {
		fail_child(c, STEP_USER);
	}
	if (q->uid >= 0 && syscall(SYS_setresuid, q->uid, q->uid, q->uid) != 0) {
		fail_child(c, STEP_USER);
	}
	/* Every signal to its default action: glibc's sigaction refuses its two internal signals,
	 * and what the service ignores would stay ignored across the exec. A kernel struct
	 * sigaction of zeros is SIG_DFL, no flags and an empty mask, whatever the architecture's
	 * layout. */
	uint64_t default_action[4] = { 0, 0, 0, 0 };
	for (int signal = 1; signal < NSIG; signal++) {
		if (signal != SIGKILL && signal != SIGSTOP) {
			(void) syscall(SYS_rt_sigaction, signal, default_action, NULL, sizeof(uint64_t));
		}
	}
	uint64_t none = 0;
	(void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
	syscall(SYS_execve, q->argv[0], q->argv, q->envp);
	fail_child(c, STEP_EXEC);
}

/*
 * Starts one job; returns 0 and fills result (pid, pidfd, step, errno). result[1] holds the
 * pidfd from the moment the child exists, so that another thread may kill a child that does not
 * reach its exec (a hung file system) and so end the wait (unless the child is in a wait that not
 * even SIGKILL ends).
 */
int jobexec_spawn(const char *body, int64_t length, const int32_t *fds, volatile int32_t *result) {
	result[0] = 0;
	result[1] = -1;
	result[2] = STEP_NONE;
	result[3] = 0;
	struct request q;
	memset(&q, 0, sizeof q);
	if (length < 0 || parse(body, (size_t) length, &q) != 0) {
		free_request(&q);
		result[2] = STEP_REQUEST;
		result[3] = EINVAL;
		return 0;
	}
	struct child c = { .q = &q, .step = STEP_NONE, .error = 0 };
	for (int i = 0; i < JOB_FDS; i++) {
		c.fds[i] = fds[i];
	}
	char *stack = malloc(CHILD_STACK);
	if (stack == NULL) {
		free_request(&q);
		result[2] = STEP_CLONE;
		result[3] = ENOMEM;
		return 0;
	}
	/* Every signal blocked, glibc's internal ones too (the raw call; sigfillset leaves those out). */
	uint64_t all = ~(uint64_t) 0;
	uint64_t previous = 0;
	(void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &previous, sizeof all);
	pid_t pid = clone(become_job, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &c,
			(int *) &result[1]);
	int cloned = errno;
	(void) syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous, NULL, sizeof previous);
	free(stack);
	free_request(&q);
	if (pid < 0) {
		result[1] = -1;
		result[2] = STEP_CLONE;
		result[3] = cloned;
		return 0;
	}
	result[0] = pid;
	result[2] = c.step;
	result[3] = c.error;
	return 0;
}
