package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
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

	private final CompletableFuture<Job> terminal = new CompletableFuture<>();

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
		this.id = id;
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
				persisted.submittedAt(), persisted.idempotencyKey(), persisted.requestDigest());
		job.state = persisted.state();
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
		this.instance = instance;
		this.startedAt = stored(at);
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

	/** The service died while this job was not finished. */
	synchronized void lose(Instant at) {
		lose(at, "the service stopped while the job was " + ((startedAt != null) ? "running" : "queued"));
	}

	/** The job was lost, for the reason {@code why}. */
	synchronized void lose(Instant at, String why) {
		moveTo(JobState.LOST);
		this.terminationReason = TerminationReason.SERVICE_LOST;
		this.error = why;
		this.finishedAt = stored(at);
		terminal.complete(this);
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
		this.finishedAt = stored(at);
		this.exitCode = outcome.exitCode();
		this.signal = outcome.signal();
		this.result = outcome.result();
		this.error = outcome.error();
		this.stdout = outcome.stdout();
		this.stderr = outcome.stderr();
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
				requestDigest, usage);
	}

	/** Everything the store keeps of a job. */
	public record Persisted(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt,
			JobState state, Instant startedAt, Instant finishedAt, Long pid, Long pidStartTicks, String instance,
			Integer exitCode, Integer signal, Object result, String error, CapturedOutput stdout, CapturedOutput stderr,
			TerminationReason terminationReason, String idempotencyKey, String requestDigest, ResourceUsage usage) {
	}

}
