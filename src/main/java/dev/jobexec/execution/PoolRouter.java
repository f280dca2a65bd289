package dev.jobexec.execution;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;

import lombok.extern.slf4j.Slf4j;

/**
 * Finds the pool a job goes to, and drives every pool through shutdown with daemon
 * semantics.
 */
@Slf4j
public class PoolRouter {

	private final Map<String, WorkerPool> pools;

	public PoolRouter(ExecutionProperties properties, List<JobRunnerFactory> factories,
			ScheduledExecutorService timer) {
		Map<PoolType, JobRunnerFactory> byType = factories.stream()
			.collect(Collectors.toMap(JobRunnerFactory::type, Function.identity()));
		Map<String, WorkerPool> built = new LinkedHashMap<>();
		properties.pools().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach((entry) -> {
			String name = entry.getKey();
			ExecutionProperties.Pool config = entry.getValue();
			JobRunner runner = byType.get(config.type()).create(name, config);
			built.put(name, new WorkerPool(name, config, runner, timer));
			log.info("Pool '{}': {} jobs, max-concurrency {}, queue-capacity {}, default-timeout {}, kill-grace {}",
					name, config.type().id(), config.maxConcurrency(), config.queueCapacity(), config.defaultTimeout(),
					config.killGrace());
		});
		this.pools = Map.copyOf(built);
	}

	/**
	 * @throws UnknownPoolException when no pool has that name
	 */
	public WorkerPool pool(String name) {
		WorkerPool pool = pools.get(name);
		if (pool == null) {
			throw new UnknownPoolException(name, names());
		}
		return pool;
	}

	public boolean exists(String name) {
		return pools.containsKey(name);
	}

	public Collection<String> names() {
		return pools.keySet().stream().sorted().toList();
	}

	public List<PoolSnapshot> snapshots() {
		return names().stream().map((name) -> pools.get(name).snapshot()).toList();
	}

	/**
	 * Shuts every pool down: refuse new jobs; cancel queued daemon jobs and terminate
	 * running ones at once; leave queued non-daemon jobs queued; let running non-daemon
	 * jobs run until {@code drainTimeout}, then terminate them; return once nothing runs
	 * (or a last deadline past the longest kill-grace has passed).
	 */
	public void shutdown(Duration drainTimeout) throws InterruptedException {
		pools.values().forEach(WorkerPool::close);
		for (WorkerPool pool : pools.values()) {
			pool.stopDispatching(Execution::isDaemon, Execution::isDaemon, TerminationReason.SHUTDOWN);
		}
		long drainDeadline = WorkerPool.deadline(drainTimeout);
		boolean drained = true;
		for (WorkerPool pool : pools.values()) {
			drained &= pool.awaitIdle(drainDeadline);
		}
		if (drained) {
			return;
		}
		log.warn("Jobs still running after the drain timeout of {}; terminating them", drainTimeout);
		Duration longestGrace = Duration.ZERO;
		for (WorkerPool pool : pools.values()) {
			pool.stopDispatching((execution) -> false, (execution) -> true, TerminationReason.SHUTDOWN);
			longestGrace = (pool.killGrace().compareTo(longestGrace) > 0) ? pool.killGrace() : longestGrace;
		}
		long lastDeadline = WorkerPool.deadline(longestGrace.plusSeconds(5));
		for (WorkerPool pool : pools.values()) {
			if (!pool.awaitIdle(lastDeadline)) {
				log.error("Pool '{}' still has running jobs after the termination ladder", pool.name());
			}
		}
	}

}
