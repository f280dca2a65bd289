package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;

/**
 * A job and its lifecycle. Every state change goes through {@link #moveTo}, which
 * enforces {@link JobState}'s table; terminal states never change.
 */
public final class Job {

	private final String id;

	private final String pool;

	private final JobRequest request;

	private final Duration timeout;

	private final Instant submittedAt;

	/** The Idempotency-Key it was submitted with, or null. */
	private final String idempotencyKey;

	/** {@link RequestDigest} of the request, kept with the key to tell a retry apart. */
	private final String requestDigest;

	/** When the job runs again after an attempt that did not succeed. */
	private final RetryPolicy retry;

	private final CompletableFuture<Job> terminal = new CompletableFuture<>();

	/** The number of the current (or last) attempt, from 1. */
	private int attempt = 1;

	/** The attempts before the current one, in order. */
	private List<Attempt> attempts = List.of();

	/** While the job waits for its next attempt: when that starts. */
	private Instant nextAttemptAt;

	/**
	 * A client asked to cancel the job: an attempt that ends now, however it ends, is not
	 * retried.
	 */
	private volatile boolean cancelRequested;

	private JobState state = JobState.QUEUED;

	private Instant startedAt;

	private Instant finishedAt;

	private Long pid;

	private Long pidStartTicks;

	private String instance;

	private Integer exitCode;

	private Integer signal;

	private Object result;

	private String error;

	private CapturedOutput stdout;

	private CapturedOutput stderr;

	private TerminationReason terminationReason;

	private ResourceUsage usage;

	Job(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt) {
		this(id, pool, request, timeout, submittedAt, null, null);
	}

	Job(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt, String idempotencyKey,
			String requestDigest) {
		this(id, pool, request, timeout, submittedAt, idempotencyKey, requestDigest, RetryPolicy.NONE);
	}

	Job(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt, String idempotencyKey,
			String requestDigest, RetryPolicy retry) {
		this.id = id;
		this.retry = retry;
		this.pool = pool;
		this.request = request;
		this.timeout = timeout;
		this.submittedAt = stored(submittedAt);
		this.idempotencyKey = idempotencyKey;
		this.requestDigest = requestDigest;
	}

	/** A job as the store kept it. */
	public static Job restore(Persisted persisted) {
		Job job = new Job(persisted.id(), persisted.pool(), persisted.request(), persisted.timeout(),
				persisted.submittedAt(), persisted.idempotencyKey(), persisted.requestDigest(),
				(persisted.retry() != null) ? persisted.retry() : RetryPolicy.NONE);
		job.state = persisted.state();
		job.attempt = persisted.attempt();
		job.attempts = List.copyOf(persisted.attempts());
		job.nextAttemptAt = persisted.nextAttemptAt();
		job.startedAt = persisted.startedAt();
		job.finishedAt = persisted.finishedAt();
		job.pid = persisted.pid();
		job.pidStartTicks = persisted.pidStartTicks();
		job.instance = persisted.instance();
		job.exitCode = persisted.exitCode();
		job.signal = persisted.signal();
		job.result = persisted.result();
		job.error = persisted.error();
		job.stdout = persisted.stdout();
		job.stderr = persisted.stderr();
		job.terminationReason = persisted.terminationReason();
		job.usage = persisted.usage();
		if (job.state.isTerminal()) {
			job.terminal.complete(job);
		}
		return job;
	}

	public String id() {
		return id;
	}

	public String pool() {
		return pool;
	}

	public Instant submittedAt() {
		return submittedAt;
	}

	JobRequest request() {
		return request;
	}

	String requestDigest() {
		return requestDigest;
	}

	public Map<String, String> labels() {
		return (request.labels() != null) ? request.labels() : Map.of();
	}

	public synchronized JobState state() {
		return state;
	}

	public synchronized Instant startedAt() {
		return startedAt;
	}

	public synchronized CapturedOutput stdout() {
		return stdout;
	}

	public synchronized CapturedOutput stderr() {
		return stderr;
	}

	/**
	 * The job left its queue. For a process job, {@code pid} with {@code pidStartTicks}
	 * and the service {@code instance} identify its processes, so that a later run can
	 * kill what a crashed one left behind without ever killing a process that merely
	 * reuses the pid.
	 */
	synchronized void start(Long pid, Long pidStartTicks, String instance, Instant at) {
		moveTo(JobState.RUNNING);
		startAttempt();
		this.pid = pid;
		this.pidStartTicks = pidStartTicks;
		this.instance = instance;
		this.startedAt = stored(at);
	}

	/**
	 * Cluster mode: the job leaves its queue on {@code instance}'s node before anything
	 * of it runs, so that the start is stored first; {@link #spawned} adds its process.
	 */
	synchronized void start(String instance, Instant at) {
		moveTo(JobState.RUNNING);
		startAttempt();
		this.instance = instance;
		this.startedAt = stored(at);
	}

	/** What the job kept of its last attempt while it waited for this one goes. */
	private void startAttempt() {
		nextAttemptAt = null;
		stdout = null;
		stderr = null;
	}

	/** The process of a job that {@link #start(String, Instant) started}. */
	synchronized void spawned(Long pid, Long pidStartTicks) {
		this.pid = pid;
		this.pidStartTicks = pidStartTicks;
	}

	synchronized void succeed(ExecutionOutcome outcome, Instant at) {
		end(JobState.SUCCEEDED, outcome, at);
	}

	synchronized void fail(ExecutionOutcome outcome, Instant at) {
		end(JobState.FAILED, outcome, at);
	}

	synchronized void timeOut(ExecutionOutcome outcome, Instant at) {
		end(JobState.TIMED_OUT, outcome, at);
	}

	synchronized void cancel(ExecutionOutcome outcome, Instant at) {
		end(JobState.CANCELLED, outcome, at);
	}

	/** The job was lost, for the reason {@code why}. */
	private void lose(Instant at, String why) {
		moveTo(JobState.LOST);
		this.nextAttemptAt = null;
		this.terminationReason = TerminationReason.SERVICE_LOST;
		this.error = why;
		this.finishedAt = stored(at);
		terminal.complete(this);
	}

	/**
	 * Ends the current attempt as its execution reported: the job ends, or, when its
	 * retry policy says so, waits for its next attempt. Returns whether it waits.
	 */
	synchronized boolean finishOrRetry(ExecutionOutcome outcome, Instant at) {
		JobState ended = switch (outcome.status()) {
			case SUCCEEDED -> JobState.SUCCEEDED;
			case FAILED -> JobState.FAILED;
			case TIMED_OUT -> JobState.TIMED_OUT;
			case CANCELLED -> JobState.CANCELLED;
		};
		Optional<Instant> next = (state == JobState.RUNNING && !cancelRequested)
				? retry.nextAttemptAt(ended, attempt, at) : Optional.empty();
		if (next.isEmpty()) {
			finish(outcome, at);
			return false;
		}
		requeue(new Attempt(attempt, startedAt, stored(at), ended, outcome.exitCode(), outcome.signal(),
				outcome.terminationReason(), outcome.error(), instance), next.get());
		// The head and tail of its output stay with the job until the next attempt
		// starts.
		stdout = outcome.stdout();
		stderr = outcome.stderr();
		return true;
	}

	/**
	 * The service or node running the job died: it is lost, or, when its retry policy
	 * names {@code LOST}, waits for its next attempt. Returns whether it waits.
	 */
	public synchronized boolean loseOrRetry(Instant at, String why) {
		Optional<Instant> next = (state == JobState.RUNNING && !cancelRequested)
				? retry.nextAttemptAt(JobState.LOST, attempt, at) : Optional.empty();
		if (next.isEmpty()) {
			lose(at, why);
			return false;
		}
		requeue(new Attempt(attempt, startedAt, stored(at), JobState.LOST, null, null, TerminationReason.SERVICE_LOST,
				why, instance), next.get());
		return true;
	}

	/** {@link #loseOrRetry(Instant, String)} with the reason of a service restart. */
	synchronized boolean loseOrRetry(Instant at) {
		return loseOrRetry(at, "the service stopped while the job was " + ((startedAt != null) ? "running" : "queued"));
	}

	/**
	 * Back to the queue after {@code ended}, until {@code next}: what the attempt did
	 * goes to {@link #attempts}, and the job starts its next one afresh; the head and
	 * tail of its output stay until then.
	 */
	private void requeue(Attempt ended, Instant next) {
		moveTo(JobState.QUEUED);
		List<Attempt> all = new java.util.ArrayList<>(attempts);
		all.add(ended);
		attempts = List.copyOf(all);
		attempt++;
		nextAttemptAt = stored(next);
		startedAt = null;
		finishedAt = null;
		pid = null;
		pidStartTicks = null;
		instance = null;
		exitCode = null;
		signal = null;
		result = null;
		error = null;
		terminationReason = null;
		usage = null;
	}

	/** A client asked to cancel the job: an attempt that ends now is not retried. */
	void requestCancel() {
		cancelRequested = true;
	}

	/** The number of the current (or last) attempt, from 1. */
	public synchronized int attempt() {
		return attempt;
	}

	/**
	 * The attempt whose output the job has now: the current one once it has started;
	 * while the job waits for its next attempt (or ended waiting), the one before; 0 when
	 * none has started.
	 */
	public synchronized int outputAttempt() {
		return (startedAt != null) ? attempt : attempt - 1;
	}

	/** The node that ran (or runs) {@link #outputAttempt}, where its output files are. */
	public synchronized String outputNode() {
		return (startedAt != null || attempts.isEmpty()) ? instance : attempts.getLast().node();
	}

	public RetryPolicy retry() {
		return retry;
	}

	/** While the job waits for its next attempt: when that starts; otherwise null. */
	public synchronized Instant nextAttemptAt() {
		return nextAttemptAt;
	}

	/** Ends the job as its execution reported, through the intent-named transition. */
	void finish(ExecutionOutcome outcome, Instant at) {
		switch (outcome.status()) {
			case SUCCEEDED -> succeed(outcome, at);
			case FAILED -> fail(outcome, at);
			case TIMED_OUT -> timeOut(outcome, at);
			case CANCELLED -> cancel(outcome, at);
		}
	}

	private void end(JobState next, ExecutionOutcome outcome, Instant at) {
		moveTo(next);
		this.nextAttemptAt = null;
		this.finishedAt = stored(at);
		this.exitCode = outcome.exitCode();
		this.signal = outcome.signal();
		this.result = outcome.result();
		this.error = outcome.error();
		// An end without output of its own (cancelled while waiting for its next attempt)
		// keeps the last attempt's.
		this.stdout = (outcome.stdout() != null) ? outcome.stdout() : this.stdout;
		this.stderr = (outcome.stderr() != null) ? outcome.stderr() : this.stderr;
		this.terminationReason = outcome.terminationReason();
		this.usage = outcome.usage();
		terminal.complete(this);
	}

	/**
	 * An instant as the stores keep it (microseconds), so that a job reads the same
	 * before and after it is stored. Truncating only moves it earlier: a timeout still
	 * never fires before {@code startedAt} plus the timeout.
	 */
	private static Instant stored(Instant at) {
		return (at != null) ? at.truncatedTo(ChronoUnit.MICROS) : null;
	}

	private void moveTo(JobState next) {
		if (!state.canMoveTo(next)) {
			throw new IllegalStateException("job " + id + " cannot move from " + state + " to " + next);
		}
		state = next;
	}

	/** Completes with this job when it reaches a terminal state. */
	CompletableFuture<Job> whenTerminal() {
		return terminal;
	}

	/** Everything known about the job now, in one consistent copy. */
	public synchronized Persisted persisted() {
		return new Persisted(id, pool, request, timeout, submittedAt, state, startedAt, finishedAt, pid, pidStartTicks,
				instance, exitCode, signal, result, error, stdout, stderr, terminationReason, idempotencyKey,
				requestDigest, usage, retry, attempt, attempts, nextAttemptAt);
	}

	/** Everything the store keeps of a job. */
	public record Persisted(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt,
			JobState state, Instant startedAt, Instant finishedAt, Long pid, Long pidStartTicks, String instance,
			Integer exitCode, Integer signal, Object result, String error, CapturedOutput stdout, CapturedOutput stderr,
			TerminationReason terminationReason, String idempotencyKey, String requestDigest, ResourceUsage usage,
			RetryPolicy retry, int attempt, List<Attempt> attempts, Instant nextAttemptAt) {

		/** A job that runs once (stores and tests that know nothing of retries). */
		public Persisted(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt,
				JobState state, Instant startedAt, Instant finishedAt, Long pid, Long pidStartTicks, String instance,
				Integer exitCode, Integer signal, Object result, String error, CapturedOutput stdout,
				CapturedOutput stderr, TerminationReason terminationReason, String idempotencyKey, String requestDigest,
				ResourceUsage usage) {
			this(id, pool, request, timeout, submittedAt, state, startedAt, finishedAt, pid, pidStartTicks, instance,
					exitCode, signal, result, error, stdout, stderr, terminationReason, idempotencyKey, requestDigest,
					usage, RetryPolicy.NONE, 1, List.of(), null);
		}

	}

	/**
	 * An attempt that ended and was followed by another: when it ran, how it ended, and
	 * on which node.
	 */
	public record Attempt(int number, Instant startedAt, Instant finishedAt, JobState state, Integer exitCode,
			Integer signal, TerminationReason terminationReason, String error, String node) {
	}

}
