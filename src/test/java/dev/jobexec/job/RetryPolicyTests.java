package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jobexec.execution.ExecutionProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a job runs again, and how a job's retry fields and its pool's combine. */
class RetryPolicyTests {

	private static final Instant ENDED = Instant.parse("2026-12-02T10:00:00Z");

	@Test
	void waitsDoubleFromTheBackoffUpToTheCap() {
		RetryPolicy policy = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(10), RetryPolicy.DEFAULT_ON,
				false);

		assertThat(List.of(1, 2, 3, 4, 5, 9).stream().map(policy::waitAfter)).containsExactly(Duration.ofSeconds(1),
				Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(10),
				Duration.ofSeconds(10));
		assertThat(policy.nextAttemptAt(JobState.FAILED, 3, ENDED)).contains(ENDED.plusSeconds(4));
	}

	@Test
	void onlyTheNamedOutcomesAreRetriedAndOnlyWhileAttemptsRemain() {
		RetryPolicy policy = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(1),
				EnumSet.of(JobState.TIMED_OUT), false);

		assertThat(policy.nextAttemptAt(JobState.TIMED_OUT, 2, ENDED)).isPresent();
		assertThat(policy.nextAttemptAt(JobState.TIMED_OUT, 3, ENDED)).as("the third of three").isEmpty();
		for (JobState other : List.of(JobState.FAILED, JobState.LOST, JobState.SUCCEEDED, JobState.CANCELLED)) {
			assertThat(policy.nextAttemptAt(other, 1, ENDED)).as(other.name()).isEmpty();
		}
		assertThat(RetryPolicy.NONE.nextAttemptAt(JobState.FAILED, 1, ENDED)).isEmpty();
	}

	@Test
	void jitterDrawsEachWaitBetweenHalfOfItAndAllOfIt() {
		RetryPolicy policy = new RetryPolicy(5, Duration.ofSeconds(8), Duration.ofMinutes(1), RetryPolicy.DEFAULT_ON,
				true);
		List<Duration> waits = java.util.stream.IntStream.range(0, 200)
			.mapToObj((i) -> Duration.between(ENDED, policy.nextAttemptAt(JobState.FAILED, 1, ENDED).orElseThrow()))
			.toList();

		assertThat(waits)
			.allSatisfy((wait) -> assertThat(wait).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8)));
		assertThat(waits.stream().distinct().count()).as("drawn, not fixed").isGreaterThan(100);
	}

	@Test
	void aJobsFieldsOverrideItsPoolsFieldByFieldAndDefaultsFillTheRest() {
		ExecutionProperties.Retry pool = new ExecutionProperties.Retry(5, Duration.ofSeconds(2), null,
				List.of("FAILED", "LOST"), null);
		Map<String, String> errors = new LinkedHashMap<>();

		RetryPolicy fromPool = RetryPolicy.resolve(null, pool, errors);
		RetryPolicy mixed = RetryPolicy.resolve(new JobRequest.Retry(2, null, Duration.ofSeconds(30), null, true), pool,
				errors);
		RetryPolicy jobOnly = RetryPolicy.resolve(new JobRequest.Retry(null, Duration.ofMinutes(5), null, null, null),
				null, errors);

		assertThat(errors).isEmpty();
		assertThat(fromPool).isEqualTo(new RetryPolicy(5, Duration.ofSeconds(2), Duration.ofMinutes(1),
				EnumSet.of(JobState.FAILED, JobState.LOST), false));
		assertThat(mixed).isEqualTo(new RetryPolicy(2, Duration.ofSeconds(2), Duration.ofSeconds(30),
				EnumSet.of(JobState.FAILED, JobState.LOST), true));
		assertThat(jobOnly).as("the cap defaults to the backoff when that is longer than a minute")
			.isEqualTo(new RetryPolicy(3, Duration.ofMinutes(5), Duration.ofMinutes(5), RetryPolicy.DEFAULT_ON, false));
		assertThat(RetryPolicy.resolve(null, null, errors)).isSameAs(RetryPolicy.NONE);
	}

	@Test
	void whatIsWrongIsNamedByField() {
		Map<String, String> errors = new LinkedHashMap<>();

		RetryPolicy.resolve(
				new JobRequest.Retry(0, Duration.ofSeconds(-1), Duration.ofDays(2), List.of("SUCCEEDED"), null), null,
				errors);

		assertThat(errors).containsOnlyKeys("retry.maxAttempts", "retry.backoff", "retry.maxBackoff", "retry.on");
		assertThat(errors.get("retry.on")).contains("FAILED, TIMED_OUT, LOST");
	}

}
