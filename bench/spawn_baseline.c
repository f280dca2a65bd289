/*
 * Baseline for bench/run.sh: N runs of /bin/true with posix_spawn + waitpid at concurrency C
 * (C threads, each spawning and waiting in a loop). Warms up with min(N, 50) runs first.
 * Build: cc -O2 -pthread -o spawn_baseline spawn_baseline.c
 * Usage: spawn_baseline N C   Prints "jobs=N seconds=S jobs_per_s=R".
 */
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static atomic_int next_job;
static int total;

static void *worker(void *arg) {
	(void) arg;
	char *argv[] = { "/bin/true", NULL };
	while (atomic_fetch_add(&next_job, 1) < total) {
		pid_t pid;
		int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
		if (rc != 0) { fprintf(stderr, "posix_spawn failed: %d\n", rc); exit(1); }
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "/bin/true failed\n"); exit(1);
		}
	}
	return NULL;
}

static void run(int n, int c) {
	pthread_t threads[c];
	atomic_store(&next_job, 0);
	total = n;
	for (int i = 0; i < c; i++) pthread_create(&threads[i], NULL, worker, NULL);
	for (int i = 0; i < c; i++) pthread_join(threads[i], NULL);
}

int main(int argc, char **argv) {
	if (argc < 3) { fprintf(stderr, "usage: %s N C\n", argv[0]); return 2; }
	int n = atoi(argv[1]), c = atoi(argv[2]);
	run(n < 50 ? n : 50, c);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	run(n, c);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double seconds = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("jobs=%d seconds=%.3f jobs_per_s=%.1f\n", n, seconds, n / seconds);
	return 0;
}
