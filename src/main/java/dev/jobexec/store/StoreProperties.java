package dev.jobexec.store;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the embedded store writes its file, bound from {@code jobexec.store.*}.
 *
 * @param checkpointInterval how often the embedded store writes what its journal holds to
 * its file and deletes that part of the journal; longer makes the journal (and the replay
 * after a crash) longer
 */
@ConfigurationProperties("jobexec.store")
public record StoreProperties(@DefaultValue("1s") Duration checkpointInterval) {

	public StoreProperties {
		if (checkpointInterval.toMillis() < 10) {
			throw new IllegalArgumentException("jobexec.store.checkpoint-interval must be at least 10ms");
		}
	}

}
