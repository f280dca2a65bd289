package dev.jobexec.store;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long finished jobs are kept, bound from {@code jobexec.retention.*}.
 *
 * @param finished how long a finished job is kept after it finished; older ones are
 * deleted
 * @param sweepInterval how often old finished jobs are looked for
 * @param batchSize how many jobs one delete statement removes, so that a large backlog
 * never holds long locks
 */
@ConfigurationProperties("jobexec.retention")
public record JobStoreProperties(@DefaultValue("7d") Duration finished, @DefaultValue("10m") Duration sweepInterval,
		@DefaultValue("1000") int batchSize) {

	public JobStoreProperties {
		if (finished.isNegative() || finished.isZero()) {
			throw new IllegalArgumentException("jobexec.retention.finished must be positive, was " + finished);
		}
		if (sweepInterval.toMillis() < 10) {
			throw new IllegalArgumentException("jobexec.retention.sweep-interval must be at least 10ms");
		}
		if (batchSize < 1) {
			throw new IllegalArgumentException("jobexec.retention.batch-size must be at least 1");
		}
	}

}
