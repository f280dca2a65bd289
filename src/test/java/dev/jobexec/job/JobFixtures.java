package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import dev.jobexec.execution.ExecutionOutcome;

/**
 * Jobs made and moved as the job service makes and moves them, for tests of other
 * packages (the store) that need jobs in every state without running them.
 */
public final class JobFixtures {

	private JobFixtures() {
	}

	/** A new queued job with a fresh id. */
	public static Job newJob(String pool, JobRequest request, Duration timeout, Instant submittedAt) {
		return new Job(JobIds.next(), pool, request, timeout, submittedAt);
	}

	/**
	 * A new queued job submitted with an {@code Idempotency-Key} and the digest of its
	 * request.
	 */
	public static Job newJob(String pool, JobRequest request, Duration timeout, Instant submittedAt,
			String idempotencyKey, String requestDigest) {
		return new Job(JobIds.next(), pool, request, timeout, submittedAt, idempotencyKey, requestDigest);
	}

	/** A new queued job that is retried as {@code retry} says. */
	public static Job newJob(String pool, JobRequest request, Duration timeout, Instant submittedAt,
			RetryPolicy retry) {
		return new Job(JobIds.next(), pool, request, timeout, submittedAt, null, null, retry);
	}

	/**
	 * Ends the job's attempt as {@code outcome} says: it ends, or waits for its next
	 * attempt (returns true) as its retry policy says.
	 */
	public static boolean finishOrRetry(Job job, ExecutionOutcome outcome, Instant at) {
		return job.finishOrRetry(outcome, at);
	}

	public static void start(Job job, Long pid, Long pidStartTicks, String instance, Instant at) {
		job.start(pid, pidStartTicks, instance, at);
	}

	/** Completes with the job once it has reached a terminal state. */
	public static CompletableFuture<Job> whenTerminal(Job job) {
		return job.whenTerminal();
	}

	/** Ends the job through the transition its outcome names. */
	public static void finish(Job job, ExecutionOutcome outcome, Instant at) {
		job.finish(outcome, at);
	}

}
