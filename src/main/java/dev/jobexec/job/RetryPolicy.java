package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import dev.jobexec.execution.ExecutionProperties;

/**
 * When a job that ended is run again: after an attempt that ended in one of {@code on},
 * while fewer than {@code maxAttempts} have run, the next attempt starts {@code backoff}
 * after it, doubled after each further attempt and capped at {@code maxBackoff}; with
 * {@code jitter}, each wait is drawn at random between half of it and all of it (so that
 * jobs that failed together do not all come back at once). Resolved at submission from
 * the job's {@code retry} and its pool's, and kept with the job, so that every node and
 * every later run of the service retries it alike.
 */
public record RetryPolicy(int maxAttempts, Duration backoff, Duration maxBackoff, Set<JobState> on, boolean jitter) {

	/** The states an attempt may end in and be retried. */
	public static final Set<JobState> RETRYABLE = java.util.Collections
		.unmodifiableSet(EnumSet.of(JobState.FAILED, JobState.TIMED_OUT, JobState.LOST));

	/**
	 * What a job retries on when its policy names no states: not {@code LOST}, as a lost
	 * job may have had effects.
	 */
	public static final Set<JobState> DEFAULT_ON = java.util.Collections
		.unmodifiableSet(EnumSet.of(JobState.FAILED, JobState.TIMED_OUT));

	public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);

	public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(1);

	/** The attempts of a job that asks for retries and names no number. */
	public static final int DEFAULT_MAX_ATTEMPTS = 3;

	/** One attempt, never retried. */
	public static final RetryPolicy NONE = new RetryPolicy(1, DEFAULT_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_ON, false);

	public RetryPolicy {
		on = on.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(EnumSet.copyOf(on));
	}

	/**
	 * The policy of a job that asked for {@code asked} in a pool whose policy is
	 * {@code pool} (either may be null): each field the job's where it gives one, else
	 * the pool's, else the default. What is wrong with the job's fields is added to
	 * {@code errors}, named {@code retry.<field>}.
	 */
	static RetryPolicy resolve(JobRequest.Retry asked, ExecutionProperties.Retry pool, Map<String, String> errors) {
		if (asked == null && pool == null) {
			return NONE;
		}
		JobRequest.Retry job = (asked != null) ? asked : new JobRequest.Retry(null, null, null, null, null);
		ExecutionProperties.Retry defaults = (pool != null) ? pool
				: new ExecutionProperties.Retry(null, null, null, null, null);
		int maxAttempts = first(job.maxAttempts(), defaults.maxAttempts(), DEFAULT_MAX_ATTEMPTS);
		if (maxAttempts < 1 || maxAttempts > ExecutionProperties.Retry.MAX_ATTEMPTS) {
			errors.put("retry.maxAttempts", "must be between 1 and " + ExecutionProperties.Retry.MAX_ATTEMPTS);
		}
		Duration backoff = first(job.backoff(), defaults.backoff(), DEFAULT_BACKOFF);
		String longest = " and at most " + ExecutionProperties.Retry.MAX_WAIT;
		if (backoff.isNegative() || backoff.compareTo(ExecutionProperties.Retry.MAX_WAIT) > 0) {
			errors.put("retry.backoff", "must be an ISO-8601 duration of zero or more" + longest + ", such as PT1S");
		}
		Duration maxBackoff = first(job.maxBackoff(), defaults.maxBackoff(), DEFAULT_MAX_BACKOFF);
		if (job.maxBackoff() == null && maxBackoff.compareTo(backoff) < 0) {
			// A cap the job did not set never cuts below the backoff it did set.
			maxBackoff = backoff;
		}
		if (maxBackoff.isNegative() || maxBackoff.compareTo(ExecutionProperties.Retry.MAX_WAIT) > 0) {
			errors.put("retry.maxBackoff", "must be an ISO-8601 duration of zero or more" + longest + ", such as PT1M");
		}
		else if (maxBackoff.compareTo(backoff) < 0) {
			errors.put("retry.maxBackoff", "is shorter than the backoff (" + backoff + ")");
		}
		List<String> named = first(job.on(), defaults.on(), null);
		Set<JobState> on = DEFAULT_ON;
		if (named != null) {
			if (named.isEmpty() || !named.stream().allMatch(ExecutionProperties.Retry::isOutcome)) {
				errors.put("retry.on",
						"must name one or more of " + String.join(", ", ExecutionProperties.Retry.OUTCOMES)
								+ " (a job that succeeded or was cancelled is never retried)");
			}
			else {
				on = EnumSet.noneOf(JobState.class);
				for (String state : named) {
					on.add(JobState.valueOf(state));
				}
			}
		}
		boolean jitter = first(job.jitter(), defaults.jitter(), false);
		return errors.isEmpty() ? new RetryPolicy(maxAttempts, backoff, maxBackoff, on, jitter) : NONE;
	}

	private static <T> T first(T asked, T pool, T fallback) {
		return (asked != null) ? asked : (pool != null) ? pool : fallback;
	}

	/** Whether a job may run more than once. */
	public boolean retries() {
		return maxAttempts > 1;
	}

	/**
	 * When attempt {@code attempt}, which ended in {@code outcome} at {@code endedAt}, is
	 * followed by the next one; empty when it is not.
	 */
	public Optional<Instant> nextAttemptAt(JobState outcome, int attempt, Instant endedAt) {
		if (attempt >= maxAttempts || !on.contains(outcome)) {
			return Optional.empty();
		}
		Duration wait = waitAfter(attempt);
		if (jitter && !wait.isZero()) {
			long nanos = wait.toNanos();
			wait = Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
		}
		return Optional.of(endedAt.plus(wait));
	}

	/**
	 * The wait after attempt {@code attempt} (1 for the first) before the next, without
	 * jitter: {@code backoff × 2^(attempt-1)}, at most {@code maxBackoff}.
	 */
	public Duration waitAfter(int attempt) {
		Duration wait = backoff;
		for (int i = 1; i < attempt && wait.compareTo(maxBackoff) < 0; i++) {
			wait = wait.multipliedBy(2);
		}
		return (wait.compareTo(maxBackoff) > 0) ? maxBackoff : wait;
	}

}
