package dev.jobexec.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code jobPools} health component: up while every pool accepts jobs, with each
 * pool's load and stuck threads in the details. A full queue is load, not ill health: it
 * stays up.
 */
@Component
class JobPoolsHealthIndicator extends AbstractHealthIndicator {

	private final PoolRouter router;

	JobPoolsHealthIndicator(PoolRouter router) {
		super("Job pools health check failed");
		this.router = router;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		boolean accepting = true;
		for (PoolSnapshot pool : router.snapshots()) {
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("type", pool.type().id());
			details.put("active", pool.active());
			details.put("maxConcurrency", pool.maxConcurrency());
			details.put("queued", pool.queued());
			details.put("queueCapacity", pool.queueCapacity());
			details.put("stuckThreads", pool.stuckThreads());
			details.put("accepting", pool.accepting());
			builder.withDetail(pool.name(), details);
			accepting &= pool.accepting();
		}
		if (accepting) {
			builder.up();
		}
		else {
			builder.outOfService();
		}
	}

}
