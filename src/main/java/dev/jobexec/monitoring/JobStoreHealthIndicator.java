package dev.jobexec.monitoring;

import dev.jobexec.job.JobStore;
import dev.jobexec.store.StoreFootprint;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code jobStore} health component: down while the store cannot be written, and up
 * again as soon as a write succeeds (the check itself tries one while the store is down).
 * On the embedded store it shows the file's size, the live data in it and the bytes
 * written to it since the start.
 */
@Component
class JobStoreHealthIndicator extends AbstractHealthIndicator {

	private final JobStore store;

	private final StoreFootprint footprint;

	JobStoreHealthIndicator(JobStore store, StoreFootprint footprint) {
		super("Job store health check failed");
		this.store = store;
		this.footprint = footprint;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		if (store.writeProblem() != null && !store.probeWrite()) {
			builder.down().withDetail("writable", false).withDetail("problem", store.writeProblem());
			return;
		}
		builder.up().withDetail("writable", true);
		footprint.now()
			.ifPresent((now) -> builder.withDetail("fileBytes", now.fileBytes())
				.withDetail("liveBytes", now.liveBytes())
				.withDetail("journalBytes", now.journalBytes())
				.withDetail("writtenBytes", now.writtenBytes()));
	}

}
