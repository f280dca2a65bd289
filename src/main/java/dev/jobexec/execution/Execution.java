package dev.jobexec.execution;

import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One submission inside a pool, from queue to outcome; the handle through which it is
 * cancelled or terminated. Its outcome is delivered exactly once.
 */
public final class Execution {

	private final WorkerPool pool;

	private final ExecutionSpec spec;

	private final ExecutionListener listener;

	private final Object lock = new Object();

	private RunningJob job;

	private boolean launched;

	private ExecutionOutcome earlyOutcome;

	private TerminationReason requested;

	private boolean done;

	private volatile ScheduledFuture<?> timeoutTask;

	Execution(WorkerPool pool, ExecutionSpec spec, ExecutionListener listener) {
		this.pool = pool;
		this.spec = spec;
		this.listener = listener;
	}

	/**
	 * Cancels or terminates this execution: a queued one never starts, a running one goes
	 * down the termination ladder. Returns false when it had already ended or was already
	 * being terminated.
	 */
	public boolean terminate(TerminationReason reason) {
		return pool.terminate(this, reason);
	}

	void launch(JobRunner runner, ScheduledExecutorService timer) {
		Instant startedAt = Instant.now();
		timeoutTask = timer.schedule(() -> terminateRunning(TerminationReason.TIMEOUT), spec.timeout().toNanos(),
				TimeUnit.NANOSECONDS);
		RunningJob started = runner.start(spec, this::completed);
		listener.started(started.pid(), startedAt);
		ExecutionOutcome pending;
		TerminationReason terminate;
		synchronized (lock) {
			job = started;
			launched = true;
			pending = earlyOutcome;
			terminate = requested;
		}
		if (terminate != null && pending == null) {
			started.terminate(terminate);
		}
		if (pending != null) {
			deliver(pending);
		}
	}

	boolean terminateRunning(TerminationReason reason) {
		RunningJob target;
		synchronized (lock) {
			if (done || requested != null) {
				return false;
			}
			requested = reason;
			target = job;
		}
		if (target != null) {
			target.terminate(reason);
		}
		return true;
	}

	boolean isDaemon() {
		return spec.daemon();
	}

	void dequeued(TerminationReason reason) {
		synchronized (lock) {
			requested = reason;
		}
		deliver(ExecutionOutcome.cancelledWhileQueued(reason));
	}

	private void completed(ExecutionOutcome outcome) {
		synchronized (lock) {
			if (!launched) {
				earlyOutcome = outcome;
				return;
			}
		}
		deliver(outcome);
	}

	private void deliver(ExecutionOutcome outcome) {
		synchronized (lock) {
			if (done) {
				return;
			}
			done = true;
		}
		ScheduledFuture<?> timeout = timeoutTask;
		if (timeout != null) {
			timeout.cancel(false);
		}
		pool.finished(this, () -> listener.finished(outcome));
	}

}
