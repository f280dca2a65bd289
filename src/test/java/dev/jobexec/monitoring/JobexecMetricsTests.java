package dev.jobexec.monitoring;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The histogram buckets of job durations and queue waits, without a Spring context. */
class JobexecMetricsTests {

	@Test
	void bucketsEndAtTheFirstBoundPastTheLongestRun() {
		// The default max-timeout of 1 h and a kill-grace of 5 s.
		assertThat(JobexecMetrics.buckets(Duration.ofHours(1).plusSeconds(5))).hasSize(18)
			.startsWith(Duration.ofMillis(10))
			.contains(Duration.ofSeconds(30), Duration.ofMinutes(1))
			.endsWith(Duration.ofHours(1), Duration.ofHours(2));
	}

	@Test
	void aBoundEqualToTheLongestRunIsTheLast() {
		assertThat(JobexecMetrics.buckets(Duration.ofMinutes(10))).hasSize(15).endsWith(Duration.ofMinutes(10));
	}

	@Test
	void longerPoolsDoubleTheBucketsPastAnHour() {
		assertThat(JobexecMetrics.buckets(Duration.ofHours(5))).endsWith(Duration.ofHours(1), Duration.ofHours(2),
				Duration.ofHours(4), Duration.ofHours(8));
	}

}
