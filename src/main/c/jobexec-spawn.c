/*
 * jobexec-spawn: the spawn helper of jobexec (what Python's multiprocessing calls a fork
 * server). The service starts it once, as its own child, with one end of a Unix stream
 * socket on descriptor 3, and asks it for every process job. For each request the helper
 * clones one child with clone3(CLONE_PARENT | CLONE_PIDFD | CLONE_INTO_CGROUP): the child's
 * parent is the service (which reaps it and reads its wait status), and it is in the job's
 * cgroup v2 from its first instruction. Before it execs the job's command, in this order,
 * the child joins the job's cgroup v1 hierarchies, starts a new session, takes the job's
 * pipes as descriptors 0 to 2, applies the rlimits, changes to the working directory,
 * drops to the run-as user, marks every other descriptor close-on-exec and resets signals.
 * Then one execve: no second program runs in between.
 *
 * Single-threaded, so fork is safe; stateless between requests; exits when the socket
 * reaches end of file (the service is gone). Linux 5.7+ (CLONE_INTO_CGROUP), 5.11+
 * (close_range with CLOSE_RANGE_CLOEXEC).
 *
 * Request (native byte order, after a 4-byte length of the rest; the job's stdin, stdout
 * and stderr arrive as SCM_RIGHTS with the first byte):
 *   i32 version (1), i32 uid (-1: keep), i32 gid (-1: keep), i32 rlimit count,
 *   per rlimit: i32 resource, i64 soft, i64 hard,
 *   string cgroup v2 directory ("" for none), i32 v1 count, strings v1 cgroup.procs files,
 *   string working directory, i32 argc, strings argv, i32 envc, strings envp
 *   (a string is an i32 length and its bytes, no terminator).
 * Reply: i32 pid (0 on failure), i32 failed step, i32 errno; SCM_RIGHTS with the child's
 * pidfd when pid > 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define SOCKET_FD 3
#define JOB_FDS 3
#define MAX_REQUEST (64 * 1024 * 1024)

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

static int read_fully(int fd, void *buffer, size_t length) {
	char *at = buffer;
	while (length > 0) {
		ssize_t n = read(fd, at, length);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		at += n;
		length -= (size_t) n;
	}
	return 0;
}

/* What the child reports through its close-on-exec pipe when a step before the exec fails. */
struct failure {
	int32_t step;
	int32_t error;
};

static void fail_child(int report, enum step step) {
	struct failure failure = { step, errno };
	(void) !write(report, &failure, sizeof failure);
	_exit(127);
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
	if (read_i32(&r) != 1) {
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

/* Runs in the child: everything up to and including the exec. Never returns. */
static void become_job(const struct request *q, const int *fds, int report) {
	/* The job's cgroup v1 hierarchies ("0" moves the writer), before it runs anything. */
	for (int32_t i = 0; i < q->v1_count; i++) {
		int procs = open(q->v1_procs[i], O_WRONLY | O_CLOEXEC);
		if (procs < 0 || write(procs, "0", 1) != 1) {
			fail_child(report, STEP_CGROUP_JOIN);
		}
		close(procs);
	}
	if (setsid() < 0) {
		fail_child(report, STEP_SETSID);
	}
	for (int i = 0; i < JOB_FDS; i++) {
		/* The received descriptors are above 3 (0 to 3 are held), so none is overwritten. */
		if (dup2(fds[i], i) < 0) {
			fail_child(report, STEP_DUP);
		}
	}
	for (int32_t i = 0; i < q->rlimits; i++) {
		if (setrlimit(q->resources[i], &q->limits[i]) != 0) {
			fail_child(report, STEP_RLIMIT);
		}
	}
	/* With the service's rights, as posix_spawn did: the directory is checked to be inside the
	 * pool's base directory, whose parents the run-as user may not be able to traverse. */
	if (chdir(q->directory) != 0) {
		fail_child(report, STEP_CHDIR);
	}
	if (q->gid >= 0 && (setgroups(0, NULL) != 0 || setresgid(q->gid, q->gid, q->gid) != 0)) {
		fail_child(report, STEP_USER);
	}
	if (q->uid >= 0 && setresuid(q->uid, q->uid, q->uid) != 0) {
		fail_child(report, STEP_USER);
	}
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		fail_child(report, STEP_CLOSE);
	}
	sigset_t none;
	sigemptyset(&none);
	for (int signal = 1; signal < NSIG; signal++) {
		if (signal != SIGKILL && signal != SIGSTOP) {
			(void) sigaction(signal, &(struct sigaction) { .sa_handler = SIG_DFL }, NULL);
		}
	}
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(q->argv[0], q->argv, q->envp);
	fail_child(report, STEP_EXEC);
}

struct reply {
	int32_t pid;
	int32_t step;
	int32_t error;
};

/* Starts one job; the reply says how it went (and carries its pidfd). */
static struct reply start(const struct request *q, const int *fds, int *pidfd) {
	struct reply reply = { 0, STEP_NONE, 0 };
	int cgroup = -1;
	if (q->cgroup[0] != '\0') {
		cgroup = open(q->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup < 0) {
			return (struct reply) { 0, STEP_CGROUP_OPEN, errno };
		}
	}
	int report[2];
	if (pipe2(report, O_CLOEXEC) != 0) {
		reply = (struct reply) { 0, STEP_PIPE, errno };
		if (cgroup >= 0) {
			close(cgroup);
		}
		return reply;
	}
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_PARENT | CLONE_PIDFD | ((cgroup >= 0) ? CLONE_INTO_CGROUP : 0);
	args.pidfd = (uint64_t) (uintptr_t) pidfd;
	args.cgroup = (uint64_t) (cgroup >= 0 ? cgroup : 0);
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0) {
		close(report[0]);
		become_job(q, fds, report[1]);
	}
	int cloned = errno;
	close(report[1]);
	if (cgroup >= 0) {
		close(cgroup);
	}
	if (pid < 0) {
		close(report[0]);
		return (struct reply) { 0, STEP_CLONE, cloned };
	}
	/* End of file: the exec closed the pipe. A failure record: the child exits with 127. */
	struct failure failure;
	ssize_t n;
	do {
		n = read(report[0], &failure, sizeof failure);
	} while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n == (ssize_t) sizeof failure) {
		/* The service reaps the child (it is its parent); its pidfd still goes back. */
		return (struct reply) { (int32_t) pid, failure.step, failure.error };
	}
	return (struct reply) { (int32_t) pid, STEP_NONE, 0 };
}

static int send_reply(struct reply reply, int pidfd) {
	struct iovec iov = { &reply, sizeof reply };
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pidfd >= 0) {
		memset(&control, 0, sizeof control);
		message.msg_control = control.space;
		message.msg_controllen = sizeof control.space;
		struct cmsghdr *header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(header), &pidfd, sizeof(int));
	}
	ssize_t n;
	do {
		n = sendmsg(SOCKET_FD, &message, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return (n == (ssize_t) sizeof reply) ? 0 : -1;
}

int main(void) {
	/* A broken socket is an error return, not a signal; a terminal's ^C is for the service. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		uint32_t length;
		int fds[JOB_FDS] = { -1, -1, -1 };
		union {
			struct cmsghdr header;
			char space[CMSG_SPACE(sizeof(int) * 8)];
		} control;
		struct iovec iov = { &length, sizeof length };
		struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
			.msg_controllen = sizeof control.space };
		ssize_t n;
		do {
			n = recvmsg(SOCKET_FD, &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
		} while (n < 0 && errno == EINTR);
		if (n == 0) {
			return 0;
		}
		if (n != (ssize_t) sizeof length) {
			return 1;
		}
		int received = 0;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&message); h != NULL; h = CMSG_NXTHDR(&message, h)) {
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
				int count = (int) ((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				for (int i = 0; i < count; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
					if (received < JOB_FDS) {
						fds[received] = fd;
					}
					else {
						close(fd);
					}
					received++;
				}
			}
		}
		if (length > MAX_REQUEST) {
			return 1;
		}
		char *body = malloc(length);
		if (body == NULL || read_fully(SOCKET_FD, body, length) != 0) {
			return 1;
		}
		struct request q;
		memset(&q, 0, sizeof q);
		struct reply reply = { 0, STEP_REQUEST, EINVAL };
		int pidfd = -1;
		if (received == JOB_FDS && parse(body, length, &q) == 0) {
			reply = start(&q, fds, &pidfd);
		}
		free_request(&q);
		free(body);
		for (int i = 0; i < JOB_FDS; i++) {
			if (fds[i] >= 0) {
				close(fds[i]);
			}
		}
		int sent = send_reply(reply, (reply.pid > 0) ? pidfd : -1);
		if (pidfd >= 0) {
			close(pidfd);
		}
		if (sent != 0) {
			return 1;
		}
	}
}
