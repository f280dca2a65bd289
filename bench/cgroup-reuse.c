/*
 * What a job's cgroups cost the kernel, made and removed for each job or reused: N runs of /bin/true, each
 * forked into its own cgroup in every hierarchy of MASK, which the child joins (writes its pid to
 * cgroup.procs) before it execs, the way jobexec's spawn helper does. Hierarchies, by bit:
 * 1 cgroup v2 (/sys/fs/cgroup/unified, or /sys/fs/cgroup on pure v2), 2 v1 memory, 4 v1 pids, 8 v1 cpu.
 * REUSE (a mask too) names the hierarchies whose one directory serves every run instead of a new one each
 * (jobexec reuses every directory of a slot: REUSE 15; until 2026-12-03 only v1 memory and cpu: REUSE 10).
 * Build: cc -O2 -o cgroup-reuse cgroup-reuse.c      Needs root and those hierarchies (hybrid layout).
 * Usage: cgroup-reuse MASK REUSE N
 * Prints wall, this process's and its children's CPU, and the whole machine's busy time (from /proc/stat,
 * which counts the kernel's workers that free cgroups), each per run in µs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
	"/sys/fs/cgroup/cpu" };
enum { HIERARCHIES = 4 };

static long busy_ticks(void) {
	long user, nice, system, idle, iowait, irq, softirq;
	FILE *stat = fopen("/proc/stat", "r");
	if (!stat || fscanf(stat, "cpu %ld %ld %ld %ld %ld %ld %ld", &user, &nice, &system, &idle, &iowait, &irq,
			&softirq) != 7) { perror("/proc/stat"); exit(1); }
	fclose(stat);
	return user + nice + system + irq + softirq;
}

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

static void job_path(char *path, size_t size, int h, int reuse, int k) {
	snprintf(path, size, "%s/cgroup-reuse-bench/j%d", roots[h], ((reuse >> h) & 1) ? 0 : k);
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: %s MASK REUSE N\n", argv[0]); return 2; }
	int mask = atoi(argv[1]), reuse = atoi(argv[2]), n = atoi(argv[3]);
	struct stat unified;
	if (stat(roots[0], &unified) != 0) roots[0] = "/sys/fs/cgroup";
	char path[512], pid[32];
	for (int h = 0; h < HIERARCHIES; h++)
		if (mask & (1 << h)) {
			snprintf(path, sizeof path, "%s/cgroup-reuse-bench", roots[h]);
			if (mkdir(path, 0755) != 0) { perror(path); return 1; }
		}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long busy0 = busy_ticks();
	for (int k = 0; k < n; k++) {
		for (int h = 0; h < HIERARCHIES; h++) {
			if (!(mask & (1 << h)) || (((reuse >> h) & 1) && k > 0)) continue;
			job_path(path, sizeof path, h, reuse, k);
			if (mkdir(path, 0755) != 0) { perror(path); return 1; }
		}
		pid_t child = fork();
		if (child == 0) {
			snprintf(pid, sizeof pid, "%d", getpid());
			for (int h = 0; h < HIERARCHIES; h++) {
				if (!(mask & (1 << h))) continue;
				job_path(path, sizeof path, h, reuse, k);
				strcat(path, "/cgroup.procs");
				int fd = open(path, O_WRONLY);
				if (fd < 0 || write(fd, pid, strlen(pid)) < 0) { perror(path); _exit(126); }
				close(fd);
			}
			execl("/bin/true", "true", (char *) NULL);
			_exit(127);
		}
		int status;
		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "run %d failed\n", k); return 1;
		}
		for (int h = 0; h < HIERARCHIES; h++) {
			if (!(mask & (1 << h)) || (((reuse >> h) & 1) && k < n - 1)) continue;
			job_path(path, sizeof path, h, reuse, k);
			if (rmdir(path) != 0) { perror(path); return 1; }
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long busy1 = busy_ticks();
	double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct rusage self, children;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	printf("mask=%d reuse=%d runs=%d wall_us=%.0f parent_cpu_us=%.0f child_cpu_us=%.0f machine_busy_us=%.0f\n",
		mask, reuse, n, wall * 1e6 / n, (seconds(self.ru_utime) + seconds(self.ru_stime)) * 1e6 / n,
		(seconds(children.ru_utime) + seconds(children.ru_stime)) * 1e6 / n,
		(busy1 - busy0) * (1e6 / sysconf(_SC_CLK_TCK)) / n);
	for (int h = 0; h < HIERARCHIES; h++)
		if (mask & (1 << h)) {
			snprintf(path, sizeof path, "%s/cgroup-reuse-bench", roots[h]);
			rmdir(path);
		}
	return 0;
}
