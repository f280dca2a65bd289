package dev.jobexec.execution.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.jobexec.os.SpawnHelper;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How process jobs are launched and what they may run, bound from
 * {@code jobexec.process.*}.
 *
 * @param allowedCommands executables a process job may run: absolute paths or globs
 * ({@code *} within a directory, {@code **} across directories), matched against the
 * command's real path; anything else is refused with 403. The default is a development
 * default that allows shells.
 * @param maxOutput bytes kept per stream and job (half from the head, half from the tail)
 * in the store; the rest is counted and dropped
 * @param maxOutputFile bytes of each stream kept whole in a file under
 * {@code <data-dir>/output}, from the first byte, and served by {@code /stdout} and
 * {@code /stderr}; 0 keeps no files
 * @param path the {@code PATH} a job sees, and where a command given by bare name is
 * looked up
 * @param allowedEnvOverrides variables that are refused by default (the loader's
 * {@code LD_*}, {@code BASH_ENV} and the like) but that jobs may set anyway, by name
 * @param limits resource limits (rlimits) every job process starts with
 * @param runAs user the jobs run as ({@code name} or {@code uid:gid}) when the service
 * runs as root; unset, jobs run as the service's own user
 * @param prlimit the util-linux {@code prlimit} binary that applies the limits
 * @param setpriv the util-linux {@code setpriv} binary that drops to {@code run-as}
 * @param spawnHelper the {@code libjobexec-spawn.so} library that starts every job (its
 * rlimits, session, cgroups and user applied before one exec); unset, the copy built into
 * the jar is written to {@code <data-dir>/bin} and loaded. Without a working helper, jobs
 * start through {@code posix_spawn} behind {@code prlimit} and {@code setpriv}, without
 * cgroups. ({@code prlimit} and {@code setpriv} are then used.)
 * @param startRecordDelay how long a job's start waits before it is stored: a job that
 * ends within it is stored once, started and ended together, instead of twice (most of
 * what a short job costs the store). Meanwhile the job reads as {@code QUEUED}, and after
 * a crash it is dispatched again like a queued job; 0 stores every start at once.
 */
@ConfigurationProperties("jobexec.process")
public record ProcessProperties(@DefaultValue( {
		"/usr/bin/*", "/bin/*", "/usr/local/bin/*" }) List<String> allowedCommands,
		@DefaultValue("1MB") DataSize maxOutput, @DefaultValue("64MB") DataSize maxOutputFile,
		@DefaultValue("/usr/local/bin:/usr/bin:/bin") String path, @DefaultValue({}) List<String> allowedEnvOverrides,
		@DefaultValue Limits limits, String runAs, @DefaultValue("/usr/bin/prlimit") Path prlimit,
		@DefaultValue("/usr/bin/setpriv") Path setpriv, Path spawnHelper,
		@DefaultValue("10ms") Duration startRecordDelay){

	/**
	 * Resource limits a job process starts with; its children inherit them. Unset means
	 * no limit beyond the service's own.
	 *
	 * @param openFiles open file descriptors (RLIMIT_NOFILE)
	 * @param processes processes of the job's user (RLIMIT_NPROC); the kernel does not
	 * apply it to root, so contain fork bombs with {@code run-as}
	 * @param addressSpace virtual memory per process (RLIMIT_AS)
	 * @param cpuTime CPU time per process (RLIMIT_CPU), in whole seconds
	 * @param coreDumps whether a crashing job may write a core file (RLIMIT_CORE)
	 */
	public record Limits(@DefaultValue("4096") Integer openFiles, @DefaultValue("4096") Integer processes,
			DataSize addressSpace, Duration cpuTime, @DefaultValue("false") boolean coreDumps) {

		public Limits {
			if (openFiles != null && openFiles < 3) {
				throw new IllegalArgumentException("jobexec.process.limits.open-files must be at least 3");
			}
			if (processes != null && processes < 1) {
				throw new IllegalArgumentException("jobexec.process.limits.processes must be at least 1");
			}
			if (cpuTime != null && cpuTime.toSeconds() < 1) {
				throw new IllegalArgumentException("jobexec.process.limits.cpu-time must be at least 1s");
			}
		}

		/** These limits as setrlimit(2) calls, for the spawn helper. */
		List<SpawnHelper.Rlimit> rlimits() {
			List<SpawnHelper.Rlimit> rlimits = new java.util.ArrayList<>();
			if (openFiles != null) {
				rlimits.add(new SpawnHelper.Rlimit(SpawnHelper.RLIMIT_NOFILE, openFiles, openFiles));
			}
			if (processes != null) {
				rlimits.add(new SpawnHelper.Rlimit(SpawnHelper.RLIMIT_NPROC, processes, processes));
			}
			if (addressSpace != null) {
				rlimits
					.add(new SpawnHelper.Rlimit(SpawnHelper.RLIMIT_AS, addressSpace.toBytes(), addressSpace.toBytes()));
			}
			if (cpuTime != null) {
				rlimits.add(new SpawnHelper.Rlimit(SpawnHelper.RLIMIT_CPU, cpuTime.toSeconds(), cpuTime.toSeconds()));
			}
			if (!coreDumps) {
				rlimits.add(new SpawnHelper.Rlimit(SpawnHelper.RLIMIT_CORE, 0, 0));
			}
			return rlimits;
		}

		/** prlimit options for these limits; empty when there is nothing to limit. */
		List<String> prlimitOptions() {
			List<String> options = new java.util.ArrayList<>();
			if (openFiles != null) {
				options.add("--nofile=" + openFiles + ":" + openFiles);
			}
			if (processes != null) {
				options.add("--nproc=" + processes + ":" + processes);
			}
			if (addressSpace != null) {
				options.add("--as=" + addressSpace.toBytes() + ":" + addressSpace.toBytes());
			}
			if (cpuTime != null) {
				options.add("--cpu=" + cpuTime.toSeconds() + ":" + cpuTime.toSeconds());
			}
			if (!coreDumps) {
				options.add("--core=0:0");
			}
			return options;
		}

	}

	/**
	 * The longest {@code start-record-delay}: a job's start is not kept from its readers,
	 * or from the store, for longer.
	 */
	static final Duration MAX_START_RECORD_DELAY = Duration.ofSeconds(1);

	public ProcessProperties {
		if (maxOutput.isNegative() || maxOutput.toBytes() > Integer.MAX_VALUE / 2) {
			throw new IllegalArgumentException("jobexec.process.max-output must be between 0 and 1GB");
		}
		if (maxOutputFile.isNegative()) {
			throw new IllegalArgumentException("jobexec.process.max-output-file must not be negative");
		}
		if (startRecordDelay.isNegative() || startRecordDelay.compareTo(MAX_START_RECORD_DELAY) > 0) {
			throw new IllegalArgumentException("jobexec.process.start-record-delay must be between 0 and "
					+ MAX_START_RECORD_DELAY.toMillis() + "ms");
		}
	}

}
