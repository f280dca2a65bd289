package dev.jobexec.execution;

import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One submission inside a pool, from queue to outcome; the handle through which it is
 * cancelled or terminated. Its phase is one value that only moves forward; its outcome is
 * delivered exactly once.
 */
public final class Execution {

	/** Where an execution is; it only moves down this list. */
	enum Phase {

		/** Waiting in its pool's queue (or about to be launched). */
		QUEUED,
		/** Its runner is starting it; there is no handle to terminate yet. */
		LAUNCHING,
		/** Its runner started it; {@link #running} can terminate it. */
		RUNNING,
		/** Its outcome has been delivered. */
		ENDED

	}

	private final WorkerPool pool;

	private final ExecutionSpec spec;

	private final ExecutionListener listener;

	private final Object lock = new Object();

	private Phase phase = Phase.QUEUED;

	/**
	 * Why the service asked it to end, once it has; applied to {@link #running} as soon
	 * as there is one.
	 */
	private TerminationReason requested;

	private RunningJob running;

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
		Phase was;
		RunningJob target;
		synchronized (lock) {
			if (phase == Phase.ENDED || requested != null) {
				return false;
			}
			requested = reason;
			was = phase;
			// Read with the request, so that exactly one of this call and the launch
			// passes it
			// on: while launching there is no handle yet, and the launch applies it.
			target = (phase == Phase.RUNNING) ? running : null;
		}
		if (was == Phase.QUEUED && pool.dequeue(this)) {
			end(ExecutionOutcome.cancelledWhileQueued(reason));
			return true;
		}
		if (target != null) {
			target.terminate(reason);
		}
		return true;
	}

	/**
	 * Ends an execution its pool took out of the queue without starting it (shutdown).
	 */
	void cancelQueued(TerminationReason reason) {
		synchronized (lock) {
			if (requested == null) {
				requested = reason;
			}
		}
		end(ExecutionOutcome.cancelledWhileQueued(reason));
	}

	boolean isDaemon() {
		return spec.daemon();
	}

	/**
	 * Starts the timeout clock and the runner; called by the pool once a slot is this
	 * execution's.
	 */
	void launch(JobRunner runner, ScheduledExecutorService timer) {
		TerminationReason cancelled;
		synchronized (lock) {
			cancelled = requested;
			if (cancelled == null) {
				phase = Phase.LAUNCHING;
			}
		}
		if (cancelled != null) {
			// Terminated after it left the queue but before it started: it never starts.
			end(ExecutionOutcome.cancelledWhileQueued(cancelled));
			return;
		}
		Instant startedAt = Instant.now();
		if (!listener.launching(startedAt)) {
			end(ExecutionOutcome.notDispatched("its node could not record the start, so it did not start it"));
			return;
		}
		timeoutTask = timer.schedule(() -> terminate(TerminationReason.TIMEOUT), spec.timeout().toNanos(),
				TimeUnit.NANOSECONDS);
		RunningJob started = runner.start(spec, startedAt, new Relay());
		TerminationReason pending = null;
		synchronized (lock) {
			running = started;
			if (phase == Phase.LAUNCHING) {
				phase = Phase.RUNNING;
				pending = requested;
			}
		}
		if (pending != null) {
			started.terminate(pending);
		}
	}

	private void end(ExecutionOutcome outcome) {
		end(null, outcome);
	}

	/**
	 * Settles the pool and reports the outcome, with the start when the runner had not
	 * reported it yet ({@code start} not null).
	 */
	private void end(ExecutionStart start, ExecutionOutcome outcome) {
		synchronized (lock) {
			if (phase == Phase.ENDED) {
				return;
			}
			phase = Phase.ENDED;
		}
		ScheduledFuture<?> timeout = timeoutTask;
		if (timeout != null) {
			timeout.cancel(false);
		}
		Execution next = pool.release(this);
		try {
			if (start != null) {
				listener.startedAndFinished(start, outcome);
			}
			else {
				listener.finished(outcome);
			}
		}
		finally {
			// The slot is the next execution's already, whatever became of this report.
			if (next != null) {
				pool.launch(next);
			}
		}
	}

	Phase phase() {
		synchronized (lock) {
			return phase;
		}
	}

	/**
	 * What the runner reports: the start goes on to the listener, the end settles the
	 * pool first.
	 */
	private final class Relay implements ExecutionListener {

		@Override
		public void started(ExecutionStart start) {
			listener.started(start);
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			end(outcome);
		}

		@Override
		public void startedAndFinished(ExecutionStart start, ExecutionOutcome outcome) {
			end(start, outcome);
		}

	}

}
