package dev.jobexec.job;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How many finished jobs are kept, bound from {@code jobexec.retention.*}.
 *
 * @param maxFinishedJobs finished jobs kept in memory; beyond it the ones that finished first are
 * dropped
 * @param maxFinishedBytes captured output and stdin of finished jobs kept in memory; beyond it the
 * jobs that finished first are dropped, so that chatty jobs cannot exhaust the heap
 */
@ConfigurationProperties("jobexec.retention")
public record JobStoreProperties(@DefaultValue("10000") int maxFinishedJobs,
		@DefaultValue("256MB") DataSize maxFinishedBytes) {

	public JobStoreProperties {
		if (maxFinishedJobs < 1) {
			throw new IllegalArgumentException("jobexec.retention.max-finished-jobs must be at least 1");
		}
		if (maxFinishedBytes.toBytes() < 1) {
			throw new IllegalArgumentException("jobexec.retention.max-finished-bytes must be positive");
		}
	}

}
