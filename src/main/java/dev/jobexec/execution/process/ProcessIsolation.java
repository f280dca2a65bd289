package dev.jobexec.execution.process;

import java.util.List;
import java.util.Map;

/**
 * What confines a job process on this machine, found at start: the rlimits it starts
 * with, the user it runs as, how it is started and its cgroups.
 *
 * @param rlimits the rlimits every job starts with (prlimit's spelling)
 * @param runAs the user jobs run as
 * @param spawn how a job's process is started
 * @param layout the cgroup layout found: {@code v2_delegated}, {@code v2_root},
 * {@code hybrid}, {@code v1} or {@code none}
 * @param cgroups what was found and what is used, or why nothing is
 * @param limits the limits a pool or job may set here: {@code memory}, {@code pids},
 * {@code cpu}
 * @param pools per process pool, whether its jobs get a cgroup each
 */
public record ProcessIsolation(List<String> rlimits, String runAs, String spawn, String layout, String cgroups,
		List<String> limits, Map<String, String> pools) {

}
