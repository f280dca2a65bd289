package dev.jobexec.monitoring;

import dev.jobexec.job.JobStore;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code jobStore} health component: down while the store cannot be written, and up
 * again as soon as a write succeeds (the check itself tries one while the store is down).
 */
@Component
class JobStoreHealthIndicator extends AbstractHealthIndicator {

	private final JobStore store;

	JobStoreHealthIndicator(JobStore store) {
		super("Job store health check failed");
		this.store = store;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		if (store.writeProblem() != null && !store.probeWrite()) {
			builder.down().withDetail("writable", false).withDetail("problem", store.writeProblem());
			return;
		}
		builder.up().withDetail("writable", true);
	}

}
