package dev.jobexec.job;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The job event stream ({@code GET /api/v1/events}), bound from {@code jobexec.events.*}.
 *
 * @param pollInterval how often the store is read for changes while a client follows the
 * stream (a change on this node wakes it at once), and, with PostgreSQL, how often
 * committed changes are numbered
 * @param buffer how many of the latest changes each node keeps in memory for its clients;
 * a client that falls this far behind is dropped with a {@code dropped} event and resumes
 * from the store with Last-Event-ID
 * @param maxSubscribers most clients following the stream on one node at once; one more
 * is answered 503
 */
@ConfigurationProperties("jobexec.events")
public record EventsProperties(@DefaultValue("250ms") Duration pollInterval, @DefaultValue("16384") int buffer,
		@DefaultValue("1000") int maxSubscribers) {

	public EventsProperties {
		if (pollInterval.toMillis() < 10) {
			throw new IllegalArgumentException("jobexec.events.poll-interval must be at least 10ms");
		}
		if (buffer < 16) {
			throw new IllegalArgumentException("jobexec.events.buffer must be at least 16");
		}
		if (maxSubscribers < 0) {
			throw new IllegalArgumentException("jobexec.events.max-subscribers must not be negative");
		}
	}

}
