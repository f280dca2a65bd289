package dev.jobexec.job;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How many finished jobs are kept, bound from {@code jobexec.retention.*}.
 *
 * @param maxFinishedJobs finished jobs kept in memory; beyond it the ones that finished first are
 * dropped
 */
@ConfigurationProperties("jobexec.retention")
public record JobStoreProperties(@DefaultValue("10000") int maxFinishedJobs) {

	public JobStoreProperties {
		if (maxFinishedJobs < 1) {
			throw new IllegalArgumentException("jobexec.retention.max-finished-jobs must be at least 1");
		}
	}

}
