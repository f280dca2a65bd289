package dev.jobexec.monitoring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.JobEvent;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.store.RetentionSweeper;
import dev.jobexec.store.StoreFootprint;
import dev.jobexec.reaper.Reaper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The {@code jobexec.*} meters: gauges read from the pools' live snapshots, counters and
 * timers fed by job events. Every meter of every pool is registered at start, so
 * dashboards see zeros rather than gaps.
 * <p>
 * Meters get a base unit only where it is a real one (seconds): a name that already says
 * what it counts reads {@code jobexec_jobs_submitted_total} in Prometheus, not
 * {@code jobexec_jobs_submitted_jobs_total}.
 */
@Component
class JobexecMetrics implements MeterBinder {

	private static final List<String> REJECT_REASONS = List.of("queue_full", "shutting_down", "invalid",
			"store_unavailable", "forbidden");

	/** Bucket bounds for job CPU time: 1-2.5-5 steps from 1 ms to 1,000 s. */
	private static final Duration[] CPU_BUCKETS = java.util.stream.DoubleStream
		.of(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000)
		.mapToObj((seconds) -> Duration.ofNanos((long) (seconds * 1e9)))
		.toArray(Duration[]::new);

	/** Bucket bounds for job peak memory: 1-4 steps from 1 MiB to 16 GiB. */
	private static final double[] MEMORY_BUCKETS = java.util.stream.IntStream.rangeClosed(0, 7)
		.mapToDouble((step) -> (double) (1L << (20 + 2 * step)))
		.toArray();

	/**
	 * Bucket bounds for job durations and queue waits: 1-2.5-5 steps from 10 ms to 10 s,
	 * then 30 s, 1 m, 2 m, 5 m, 10 m, 30 m, 1 h, doubling after that.
	 */
	private static final List<Duration> BUCKET_LADDER = List.of(Duration.ofMillis(10), Duration.ofMillis(25),
			Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
			Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
			Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
			Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1));

	private final PoolRouter router;

	private final Reaper reaper;

	private final RetentionSweeper retention;

	private final JobStore store;

	private final StoreFootprint footprint;

	private final Duration[] buckets;

	private volatile MeterRegistry registry = new CompositeMeterRegistry();

	JobexecMetrics(PoolRouter router, Reaper reaper, RetentionSweeper retention, JobStore store,
			StoreFootprint footprint) {
		this.router = router;
		this.reaper = reaper;
		this.retention = retention;
		this.store = store;
		this.footprint = footprint;
		this.buckets = buckets(router.names()
			.stream()
			.map((pool) -> router.pool(pool).config())
			.map((config) -> config.maxTimeout().plus(config.killGrace()))
			.max(Duration::compareTo)
			.orElse(Duration.ZERO));
	}

	/**
	 * The ladder up to its first bound at or past {@code longest}, the longest any job
	 * may run (a pool's max-timeout and kill-grace): a job that timed out lands in a
	 * finite bucket, so a quantile reads right up to the longest run, and +Inf holds only
	 * what outlived every limit. Micrometer's default percentile histogram stops at 30 s
	 * with 69 buckets per series; this has 18 with the default max-timeout of 1 h.
	 */
	static Duration[] buckets(Duration longest) {
		List<Duration> bounds = new ArrayList<>();
		Duration bound = Duration.ZERO;
		for (int i = 0; bound.compareTo(longest) < 0; i++) {
			bound = (i < BUCKET_LADDER.size()) ? BUCKET_LADDER.get(i) : bound.multipliedBy(2);
			bounds.add(bound);
		}
		return bounds.toArray(Duration[]::new);
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registry = registry;
		this.meters = new Meters(registry);
		for (String pool : router.names()) {
			gauge(registry, "jobexec.pool.active", pool, "Jobs running in the pool", PoolSnapshot::active);
			gauge(registry, "jobexec.pool.max", pool, "Jobs the pool may run at once", PoolSnapshot::maxConcurrency);
			gauge(registry, "jobexec.pool.queued", pool, "Jobs waiting in the pool's queue", PoolSnapshot::queued);
			gauge(registry, "jobexec.pool.queue.capacity", pool, "Jobs the pool's queue may hold",
					PoolSnapshot::queueCapacity);
			Gauge.builder("jobexec.threads.stuck", () -> router.pool(pool).snapshot().stuckThreads())
				.tag("pool", pool)
				.description("Threads that ignored termination past the kill-grace and are still running")
				.register(registry);
			submitted(pool);
			REJECT_REASONS.forEach((reason) -> rejected(pool, reason));
			queueWait(pool);
			for (JobState state : JobState.values()) {
				if (state.isTerminal()) {
					finished(pool, state);
					duration(pool, state);
				}
			}
			dev.jobexec.job.RetryPolicy.RETRYABLE.forEach((outcome) -> retried(pool, outcome));
			if (router.pool(pool).config().type() == dev.jobexec.execution.PoolType.PROCESS) {
				memoryLimitKills(pool);
			}
		}
		Gauge.builder("jobexec.processes.live", reaper::liveProcesses)
			.description("Live processes the service is responsible for: job processes and all they started")
			.register(registry);
		FunctionCounter.builder("jobexec.reaper.zombies.reaped", reaper, Reaper::zombiesReaped)
			.description("Zombie children no Process owned, reaped with wait4")
			.register(registry);
		FunctionCounter.builder("jobexec.reaper.orphans.killed", reaper, Reaper::orphansKilled)
			.description("Orphaned processes of ended jobs terminated with the ladder")
			.register(registry);
		FunctionCounter.builder("jobexec.jobs.deleted", retention, RetentionSweeper::deleted)
			.description("Finished jobs deleted from the store after jobexec.retention.finished")
			.register(registry);
		Gauge.builder("jobexec.store.writable", store, (jobs) -> (jobs.writeProblem() == null) ? 1 : 0)
			.description("1 while the job store can be written, 0 from a failed write until one succeeds")
			.register(registry);
		if (footprint.now().isPresent()) {
			Gauge
				.builder("jobexec.store.file.size", footprint,
						(store) -> bytes(store, StoreFootprint.Footprint::fileBytes))
				.baseUnit("bytes")
				.description("Size of the embedded store's file")
				.register(registry);
			Gauge
				.builder("jobexec.store.live.size", footprint,
						(store) -> bytes(store, StoreFootprint.Footprint::liveBytes))
				.baseUnit("bytes")
				.description("Live data in the embedded store's file, as H2 estimates it from its fill rates")
				.register(registry);
			Gauge
				.builder("jobexec.store.journal.size", footprint,
						(store) -> bytes(store, StoreFootprint.Footprint::journalBytes))
				.baseUnit("bytes")
				.description("Size of the embedded store's journal: what its file does not hold yet")
				.register(registry);
			FunctionCounter
				.builder("jobexec.store.written", footprint,
						(store) -> bytes(store, StoreFootprint.Footprint::writtenBytes))
				.baseUnit("bytes")
				.description("Bytes written to the embedded store's file and journal since the service opened them; "
						+ "per job: " + "its rate over the rate of jobexec.jobs.finished")
				.register(registry);
		}
		FunctionTimer.builder("jobexec.reaper.scan", reaper, Reaper::scans, Reaper::scanSeconds, TimeUnit.SECONDS)
			.description("Scans of /proc for zombies and orphans")
			.register(registry);
	}

	private static double bytes(StoreFootprint store,
			java.util.function.ToLongFunction<StoreFootprint.Footprint> value) {
		return store.now().map((now) -> (double) value.applyAsLong(now)).orElse(Double.NaN);
	}

	/**
	 * The meters the job events update, by name and tags: found here in one lookup
	 * instead of being built and looked up in the registry for every event.
	 */
	private volatile Meters meters = new Meters(registry);

	/**
	 * The meter {@code name} with {@code tags}: the one made before, or the one
	 * {@code register} makes (under that name and those tags) the first time.
	 */
	@SuppressWarnings("unchecked")
	private <M extends Meter> M meter(String name, Tags tags, Register<M> register) {
		Meters current = meters;
		return (M) current.byKey.computeIfAbsent(List.of(name, tags),
				(key) -> register.register(name, tags, current.registry));
	}

	/** Registers one meter, under the name and tags it is given. */
	private interface Register<M extends Meter> {

		M register(String name, Tags tags, MeterRegistry registry);

	}

	/** The meters registered in one registry. */
	private record Meters(MeterRegistry registry, Map<List<Object>, Meter> byKey) {

		Meters(MeterRegistry registry) {
			this(registry, new ConcurrentHashMap<>());
		}

	}

	@EventListener
	void on(JobEvent event) {
		switch (event) {
			case JobEvent.Submitted submitted -> submitted(submitted.pool()).increment();
			case JobEvent.Rejected rejected -> rejected(rejected.pool(), rejected.reason()).increment();
			case JobEvent.Started started -> queueWait(started.pool()).record(started.queueWait());
			case JobEvent.Finished finished -> {
				finished(finished.pool(), finished.state()).increment();
				duration(finished.pool(), finished.state()).record(finished.runTime());
				used(finished.pool(), finished.reason(), finished.usage());
			}
			case JobEvent.Retried retried -> {
				retried(retried.pool(), retried.outcome()).increment();
				used(retried.pool(), retried.reason(), retried.usage());
			}
			case JobEvent.Claimed claimed -> {
				// ClusterMetrics counts it.
			}
			case JobEvent.Fenced fenced -> {
				// ClusterMetrics counts it.
			}
		}
	}

	/**
	 * What an attempt of a process job used, per pool and source, and its memory kill if
	 * it had one.
	 */
	private void used(String pool, TerminationReason reason, ResourceUsage usage) {
		if (reason == TerminationReason.MEMORY_LIMIT) {
			memoryLimitKills(pool).increment();
		}
		if (usage == null) {
			return;
		}
		if (usage.cpuUser() != null && usage.cpuSystem() != null) {
			this.<Timer>meter("jobexec.jobs.cpu", Tags.of("pool", pool, "source", usage.source()),
					(name, tags, r) -> Timer.builder(name)
						.tags(tags)
						.description(
								"CPU time (user and system) of finished process jobs; source: cgroup (every process of "
										+ "the job) or rusage (the leader and the children it waited for)")
						.serviceLevelObjectives(CPU_BUCKETS)
						.register(r))
				.record(usage.cpuUser().plus(usage.cpuSystem()));
		}
		if (usage.peakMemory() != null) {
			this.<DistributionSummary>meter("jobexec.jobs.memory.peak", Tags.of("pool", pool, "source", usage.source()),
					(name, tags, r) -> DistributionSummary.builder(name)
						.baseUnit("bytes")
						.tags(tags)
						.description("Peak memory of finished process jobs: of the whole job (cgroup), or the largest "
								+ "resident set of one of its processes (rusage)")
						.serviceLevelObjectives(MEMORY_BUCKETS)
						.register(r))
				.record(usage.peakMemory());
		}
	}

	private Counter memoryLimitKills(String pool) {
		return meter("jobexec.jobs.memory.limit.kills", Tags.of("pool", pool),
				(name, tags, r) -> Counter.builder(name)
					.tags(tags)
					.description(
							"Process jobs the kernel killed for exceeding their memory limit (their cgroup's count)")
					.register(r));
	}

	private void gauge(MeterRegistry registry, String name, String pool, String description,
			ToDoubleFunction<PoolSnapshot> value) {
		Gauge.builder(name, () -> value.applyAsDouble(router.pool(pool).snapshot()))
			.tag("pool", pool)
			.description(description)
			.register(registry);
	}

	private Counter submitted(String pool) {
		return meter("jobexec.jobs.submitted", Tags.of("pool", pool), (name, tags,
				r) -> Counter.builder(name).tags(tags).description("Jobs accepted and stored").register(r));
	}

	private Counter rejected(String pool, String reason) {
		return meter("jobexec.jobs.rejected", Tags.of("pool", pool, "reason", reason), (name, tags,
				r) -> Counter.builder(name).tags(tags).description("Submissions refused, by reason").register(r));
	}

	private Counter finished(String pool, JobState state) {
		return meter("jobexec.jobs.finished", Tags.of("pool", pool, "state", state.name()), (name, tags,
				r) -> Counter.builder(name).tags(tags).description("Jobs that reached a terminal state").register(r));
	}

	private Counter retried(String pool, JobState outcome) {
		return meter("jobexec.jobs.retried", Tags.of("pool", pool, "outcome", outcome.name()),
				(name, tags, r) -> Counter.builder(name)
					.tags(tags)
					.description(
							"Attempts that ended in an outcome their job's retry policy retries: the job waits for its "
									+ "next attempt")
					.register(r));
	}

	private Timer duration(String pool, JobState state) {
		return meter("jobexec.jobs.duration", Tags.of("pool", pool, "state", state.name()),
				(name, tags, r) -> Timer.builder(name)
					.tags(tags)
					.description("Run time of finished jobs, from start (or submission, if never started) to end")
					.serviceLevelObjectives(buckets)
					.register(r));
	}

	private Timer queueWait(String pool) {
		return meter("jobexec.jobs.queue.wait", Tags.of("pool", pool),
				(name, tags, r) -> Timer.builder(name)
					.tags(tags)
					.description("Time jobs spent queued before they started")
					.serviceLevelObjectives(buckets)
					.register(r));
	}

}
