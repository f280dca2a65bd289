package dev.jobexec.execution;

import java.time.Duration;

/**
 * What a process job used: CPU time in user and kernel mode, its peak memory in bytes and
 * its processes. {@code source} says where the figures come from: {@code cgroup} (the
 * whole job: every process it started), or {@code rusage} (the leader and the children it
 * waited for, read when it was reaped; there {@code peakMemory} is the largest resident
 * set of one process and {@code processes} is unknown).
 */
public record ResourceUsage(Duration cpuUser, Duration cpuSystem, Long peakMemory, Long processes, String source) {

	public static final String CGROUP = "cgroup";

	public static final String RUSAGE = "rusage";

}
