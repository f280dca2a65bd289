package dev.jobexec.monitoring;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;
import dev.jobexec.job.JobEvent;
import dev.jobexec.job.JobState;
import dev.jobexec.store.RetentionSweeper;
import dev.jobexec.reaper.Reaper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The {@code jobexec.*} meters: gauges read from the pools' live snapshots, counters and
 * timers fed by job events. Every meter of every pool is registered at start, so
 * dashboards see zeros rather than gaps.
 */
@Component
class JobexecMetrics implements MeterBinder {

	private static final List<String> REJECT_REASONS = List.of("queue_full", "shutting_down", "invalid",
			"store_unavailable", "forbidden");

	private final PoolRouter router;

	private final Reaper reaper;

	private final RetentionSweeper retention;

	private volatile MeterRegistry registry = new CompositeMeterRegistry();

	JobexecMetrics(PoolRouter router, Reaper reaper, RetentionSweeper retention) {
		this.router = router;
		this.reaper = reaper;
		this.retention = retention;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registry = registry;
		for (String pool : router.names()) {
			gauge(registry, "jobexec.pool.active", pool, "Jobs running in the pool", PoolSnapshot::active);
			gauge(registry, "jobexec.pool.max", pool, "Jobs the pool may run at once", PoolSnapshot::maxConcurrency);
			gauge(registry, "jobexec.pool.queued", pool, "Jobs waiting in the pool's queue", PoolSnapshot::queued);
			gauge(registry, "jobexec.pool.queue.capacity", pool, "Jobs the pool's queue may hold",
					PoolSnapshot::queueCapacity);
			Gauge.builder("jobexec.threads.stuck", () -> router.pool(pool).snapshot().stuckThreads())
				.tag("pool", pool)
				.description("Threads that ignored termination past the kill-grace and are still running")
				.baseUnit("threads")
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
		}
		Gauge.builder("jobexec.processes.live", reaper::liveProcesses)
			.description("Live processes the service is responsible for: job processes and all they started")
			.baseUnit("processes")
			.register(registry);
		FunctionCounter.builder("jobexec.reaper.zombies.reaped", reaper, Reaper::zombiesReaped)
			.description("Zombie children no Process owned, reaped with waitpid")
			.baseUnit("processes")
			.register(registry);
		FunctionCounter.builder("jobexec.reaper.orphans.killed", reaper, Reaper::orphansKilled)
			.description("Orphaned processes of ended jobs terminated with the ladder")
			.baseUnit("processes")
			.register(registry);
		FunctionCounter.builder("jobexec.jobs.deleted", retention, RetentionSweeper::deleted)
			.description("Finished jobs deleted from the store after jobexec.retention.finished")
			.baseUnit("jobs")
			.register(registry);
		FunctionTimer.builder("jobexec.reaper.scan", reaper, Reaper::scans, Reaper::scanSeconds, TimeUnit.SECONDS)
			.description("Scans of /proc for zombies and orphans")
			.register(registry);
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
			}
		}
	}

	private void gauge(MeterRegistry registry, String name, String pool, String description,
			ToDoubleFunction<PoolSnapshot> value) {
		Gauge.builder(name, () -> value.applyAsDouble(router.pool(pool).snapshot()))
			.tag("pool", pool)
			.description(description)
			.baseUnit("jobs")
			.register(registry);
	}

	private Counter submitted(String pool) {
		return Counter.builder("jobexec.jobs.submitted")
			.tag("pool", pool)
			.description("Jobs accepted and stored")
			.baseUnit("jobs")
			.register(registry);
	}

	private Counter rejected(String pool, String reason) {
		return Counter.builder("jobexec.jobs.rejected")
			.tags("pool", pool, "reason", reason)
			.description("Submissions refused, by reason")
			.baseUnit("jobs")
			.register(registry);
	}

	private Counter finished(String pool, JobState state) {
		return Counter.builder("jobexec.jobs.finished")
			.tags("pool", pool, "state", state.name())
			.description("Jobs that reached a terminal state")
			.baseUnit("jobs")
			.register(registry);
	}

	private Timer duration(String pool, JobState state) {
		return Timer.builder("jobexec.jobs.duration")
			.tags("pool", pool, "state", state.name())
			.description("Run time of finished jobs, from start (or submission, if never started) to end")
			.publishPercentileHistogram()
			.register(registry);
	}

	private Timer queueWait(String pool) {
		return Timer.builder("jobexec.jobs.queue.wait")
			.tag("pool", pool)
			.description("Time jobs spent queued before they started")
			.register(registry);
	}

}
