package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Pools, shutdown and storage location, bound from {@code jobexec.*}; resolved and
 * checked at start so that a bad configuration fails fast with a message naming the
 * property.
 *
 * @param dataDir where the embedded job store and the working directories of process jobs
 * live
 * @param pools the named pools jobs are routed to; {@code process} and {@code thread}
 * always exist
 * @param shutdown how running jobs are treated when the service stops
 */
@ConfigurationProperties("jobexec")
public record ExecutionProperties(@DefaultValue(ExecutionProperties.DEFAULT_DATA_DIR) Path dataDir,
		Map<String, Pool> pools, @DefaultValue Shutdown shutdown) {

	/**
	 * The default of {@code jobexec.data-dir}, also read before binding by the store's
	 * set-up.
	 */
	public static final String DEFAULT_DATA_DIR = "./data";

	public ExecutionProperties {
		Map<String, Pool> resolved = new LinkedHashMap<>();
		resolved.put("process", Pool.EMPTY.resolve("process", dataDir));
		resolved.put("thread", Pool.EMPTY.resolve("thread", dataDir));
		if (pools != null) {
			pools.forEach((name, pool) -> resolved.put(name, pool.resolve(name, dataDir)));
		}
		pools = Map.copyOf(resolved);
	}

	/**
	 * One named pool. Unset values take the defaults of the pool's type.
	 *
	 * @param type {@code process} or {@code thread}; may be omitted for the pools named
	 * {@code process} and {@code thread}
	 * @param maxConcurrency jobs running at once (process: CPU count, thread: 64)
	 * @param queueCapacity jobs waiting for a slot; one more is rejected with 429
	 * (process: 100, thread: 1000)
	 * @param defaultTimeout timeout of a job that names none (process: 5m, thread: 1m)
	 * @param maxTimeout the largest timeout a job may ask for (1h)
	 * @param killGrace time between SIGTERM (or interrupt) and SIGKILL (or declaring the
	 * thread stuck) (process: 5s, thread: 2s)
	 * @param virtualThreads whether a thread pool runs its tasks on virtual threads
	 * (true)
	 * @param baseDirectory directory process jobs run in; a job's
	 * {@code workingDirectory} is relative to it ({@code <data-dir>/work/<pool>})
	 * @param limits what each job of a process pool may use, through its cgroup: the
	 * default and the most a job may ask for (unset: unlimited)
	 * @param isolation whether process jobs get a cgroup each: {@code required} (the
	 * service does not start without), {@code preferred} (where the machine allows) or
	 * {@code off}
	 * @param retry the retry policy of the pool's jobs, each field of which a job may set
	 * otherwise (unset: a job runs once unless it asks for retries)
	 */
	public record Pool(PoolType type, Integer maxConcurrency, Integer queueCapacity, Duration defaultTimeout,
			Duration maxTimeout, Duration killGrace, Boolean virtualThreads, Path baseDirectory, Limits limits,
			Isolation isolation, Retry retry) {

		static final Pool EMPTY = new Pool(null, null, null, null, null, null, null, null, null, null, null);

		/** The constructor properties bind through (the record has a second one). */
		@ConstructorBinding
		public Pool {
		}

		/**
		 * The same pool without limits or isolation settings (tests and thread pools).
		 */
		public Pool(PoolType type, Integer maxConcurrency, Integer queueCapacity, Duration defaultTimeout,
				Duration maxTimeout, Duration killGrace, Boolean virtualThreads, Path baseDirectory) {
			this(type, maxConcurrency, queueCapacity, defaultTimeout, maxTimeout, killGrace, virtualThreads,
					baseDirectory, null, null, null);
		}

		Pool resolve(String name, Path dataDir) {
			PoolType resolvedType = (type != null) ? type : switch (name) {
				case "process" -> PoolType.PROCESS;
				case "thread" -> PoolType.THREAD;
				default -> throw new IllegalArgumentException(
						"jobexec.pools." + name + ".type must be set to 'process' or 'thread'");
			};
			boolean process = resolvedType == PoolType.PROCESS;
			Pool pool = new Pool(resolvedType,
					or(maxConcurrency, process ? Runtime.getRuntime().availableProcessors() : 64),
					or(queueCapacity, process ? 100 : 1000),
					or(defaultTimeout, process ? Duration.ofMinutes(5) : Duration.ofMinutes(1)),
					or(maxTimeout, Duration.ofHours(1)), or(killGrace, Duration.ofSeconds(process ? 5 : 2)),
					or(virtualThreads, true), or(baseDirectory, dataDir.resolve("work").resolve(name)),
					or(limits, Limits.NONE), or(isolation, Isolation.PREFERRED), retry);
			pool.check(name);
			return pool;
		}

		private void check(String name) {
			String prefix = "jobexec.pools." + name + ".";
			require(maxConcurrency >= 1, prefix + "max-concurrency must be at least 1, was " + maxConcurrency);
			require(queueCapacity >= 0, prefix + "queue-capacity must not be negative, was " + queueCapacity);
			require(isPositive(defaultTimeout), prefix + "default-timeout must be positive");
			require(isPositive(maxTimeout), prefix + "max-timeout must be positive");
			require(defaultTimeout.compareTo(maxTimeout) <= 0,
					prefix + "default-timeout (" + defaultTimeout + ") exceeds max-timeout (" + maxTimeout + ")");
			require(isPositive(killGrace), prefix + "kill-grace must be positive");
			require(limits.isEmpty() || type == PoolType.PROCESS,
					prefix + "limits apply to process pools only (a thread job shares the service's process)");
			limits.check(prefix + "limits.");
			if (retry != null) {
				retry.check(prefix + "retry.");
			}
		}

		/** The limits of this pool's jobs, resolved. */
		public ResourceLimits resourceLimits() {
			return limits.resolved();
		}

		private static boolean isPositive(Duration duration) {
			return !duration.isNegative() && !duration.isZero();
		}

	}

	/**
	 * What each job of a process pool may use; a job may ask for less, not more.
	 *
	 * @param memory memory of all the job's processes together ({@code memory.max}, or
	 * {@code memory.limit_in_bytes} on cgroup v1); the kernel kills the job when it is
	 * exceeded, and the job ends {@code FAILED} with {@code MEMORY_LIMIT}
	 * @param processes processes (and threads) the job may have at once
	 * ({@code pids.max})
	 * @param cpu CPU time as a number of cores, such as {@code 0.5} ({@code cpu.max} or
	 * the CFS quota)
	 */
	public record Limits(org.springframework.util.unit.DataSize memory, Integer processes, Double cpu) {

		static final Limits NONE = new Limits(null, null, null);

		boolean isEmpty() {
			return memory == null && processes == null && cpu == null;
		}

		void check(String prefix) {
			require(memory == null || memory.toBytes() >= 1 << 20, prefix + "memory must be at least 1MB");
			require(processes == null || processes >= 1, prefix + "processes must be at least 1");
			require(cpu == null || (cpu >= 0.01 && cpu <= 1024), prefix + "cpu must be between 0.01 and 1024 cores");
		}

		ResourceLimits resolved() {
			return new ResourceLimits((memory != null) ? memory.toBytes() : null, processes, cpu);
		}

	}

	/**
	 * How a pool's jobs are retried, unless a job says otherwise field by field.
	 *
	 * @param maxAttempts attempts in all, the first included (1 to 100; 3 when only other
	 * fields are set)
	 * @param backoff the wait before the second attempt, doubled before each further one
	 * (1s)
	 * @param maxBackoff the longest wait between two attempts (1m, or the backoff if
	 * longer)
	 * @param on the outcomes retried, among {@code FAILED}, {@code TIMED_OUT} and
	 * {@code LOST} (FAILED and TIMED_OUT); the property is {@code retry.outcomes}, as
	 * YAML reads a bare {@code on} key as a boolean
	 * @param jitter whether each wait is drawn at random between half of it and all of it
	 */
	public record Retry(Integer maxAttempts, Duration backoff, Duration maxBackoff,
			@org.springframework.boot.context.properties.bind.Name("outcomes") List<String> on, Boolean jitter) {

		/** Whether {@code name} is an outcome a retry may name. */
		public static boolean isOutcome(String name) {
			return name != null && OUTCOMES.contains(name);
		}

		/** The outcomes a retry may name. */
		public static final List<String> OUTCOMES = List.of("FAILED", "TIMED_OUT", "LOST");

		/** The longest wait between two attempts a policy may ask for. */
		public static final Duration MAX_WAIT = Duration.ofDays(1);

		/** The most attempts a policy may allow. */
		public static final int MAX_ATTEMPTS = 100;

		void check(String prefix) {
			require(maxAttempts == null || (maxAttempts >= 1 && maxAttempts <= MAX_ATTEMPTS),
					prefix + "max-attempts must be between 1 and " + MAX_ATTEMPTS + ", was " + maxAttempts);
			require(backoff == null || (!backoff.isNegative() && backoff.compareTo(MAX_WAIT) <= 0),
					prefix + "backoff must be between 0 and " + MAX_WAIT + ", was " + backoff);
			require(maxBackoff == null || (!maxBackoff.isNegative() && maxBackoff.compareTo(MAX_WAIT) <= 0),
					prefix + "max-backoff must be between 0 and " + MAX_WAIT + ", was " + maxBackoff);
			require(backoff == null || maxBackoff == null || maxBackoff.compareTo(backoff) >= 0,
					prefix + "max-backoff (" + maxBackoff + ") is shorter than backoff (" + backoff + ")");
			require(on == null || (!on.isEmpty() && on.stream().allMatch(Retry::isOutcome)),
					prefix + "outcomes must name one or more of " + String.join(", ", OUTCOMES) + ", was " + on);
		}

	}

	/** Whether process jobs run in a cgroup each. */
	public enum Isolation {

		/**
		 * Every job in its own cgroup; the service does not start where that is
		 * impossible.
		 */
		REQUIRED,
		/**
		 * A cgroup per job where the machine allows it; otherwise as without, said once.
		 */
		PREFERRED,
		/** No cgroups: process groups, environment markers and the reaper only. */
		OFF

	}

	/**
	 * What happens to running jobs when the service stops.
	 *
	 * @param drainTimeout how long non-daemon jobs may run on after shutdown starts
	 * before they are terminated
	 */
	public record Shutdown(@DefaultValue("30s") Duration drainTimeout) {

	}

	private static <T> T or(T value, T fallback) {
		return (value != null) ? value : fallback;
	}

	private static void require(boolean condition, String message) {
		if (!condition) {
			throw new IllegalArgumentException(message);
		}
	}

}
