package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.TerminationReason;

/**
 * A job and its lifecycle. Every state change goes through {@link #moveTo}, which enforces
 * {@link JobState}'s table; terminal states never change.
 */
public final class Job {

	private final String id;

	private final String pool;

	private final JobRequest request;

	private final Duration timeout;

	private final Instant submittedAt;

	private final CompletableFuture<Job> terminal = new CompletableFuture<>();

	private JobState state = JobState.QUEUED;

	private Instant startedAt;

	private Instant finishedAt;

	private Long pid;

	private Integer exitCode;

	private Integer signal;

	private Object result;

	private String error;

	private CapturedOutput stdout;

	private CapturedOutput stderr;

	private TerminationReason terminationReason;

	Job(String id, String pool, JobRequest request, Duration timeout, Instant submittedAt) {
		this.id = id;
		this.pool = pool;
		this.request = request;
		this.timeout = timeout;
		this.submittedAt = submittedAt;
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

	/** Roughly what this job keeps on the heap beyond its fixed fields: output and stdin text. */
	synchronized long retainedBytes() {
		long bytes = 512;
		for (CapturedOutput output : new CapturedOutput[] { stdout, stderr }) {
			if (output != null) {
				bytes += 2L * output.text().length();
			}
		}
		return bytes + ((request.stdin() != null) ? 2L * request.stdin().length() : 0);
	}

	synchronized void start(Long pid, Instant at) {
		moveTo(JobState.RUNNING);
		this.pid = pid;
		this.startedAt = at;
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

	synchronized void lose(Instant at) {
		moveTo(JobState.LOST);
		this.terminationReason = TerminationReason.SERVICE_LOST;
		this.error = "the service stopped while the job was " + ((startedAt != null) ? "running" : "queued");
		this.finishedAt = at;
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
		this.finishedAt = at;
		this.exitCode = outcome.exitCode();
		this.signal = outcome.signal();
		this.result = outcome.result();
		this.error = outcome.error();
		this.stdout = outcome.stdout();
		this.stderr = outcome.stderr();
		this.terminationReason = outcome.terminationReason();
		terminal.complete(this);
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

	synchronized JobView view(boolean withOutput) {
		return new JobView(id, pool, request.kind(), state, request.command(), request.task(), request.params(),
				request.stdin(), request.env(), request.workingDirectory(), timeout, Boolean.TRUE.equals(request.daemon()),
				request.labels(), submittedAt, startedAt, finishedAt, pid, exitCode, signal, result, error,
				JobView.Output.of(stdout, withOutput), JobView.Output.of(stderr, withOutput), terminationReason);
	}

}
