package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runner of the pools under test: it records every start, and what it started runs
 * until the test ends it. It passes on every end it is given without deduplicating them,
 * so that exactly-once delivery is what {@link Execution} does, not what the runner does.
 */
final class ControlledRunner implements JobRunner {

	private final List<Run> started = new CopyOnWriteArrayList<>();

	private final AtomicInteger running = new AtomicInteger();

	private final AtomicInteger mostRunning = new AtomicInteger();

	private volatile boolean endOnTerminate;

	private volatile Executor endAfterStart;

	private volatile Gate gate;

	private volatile boolean startWithEnd;

	/**
	 * Reports no start: each run reports it with its end ({@code startedAndFinished}), as
	 * a process job that ends within its start-record delay does.
	 */
	ControlledRunner reportingTheStartWithTheEnd() {
		this.startWithEnd = true;
		return this;
	}

	/** Ends a run as terminated as soon as it is asked to, as a real runner would. */
	ControlledRunner endingOnTerminate() {
		this.endOnTerminate = true;
		return this;
	}

	/** Ends every run successfully, on {@code executor}, as soon as it has started. */
	ControlledRunner endingRightAfterStart(Executor executor) {
		this.endAfterStart = executor;
		return this;
	}

	/**
	 * Holds the next start inside {@link #start} (after it reported the start, before it
	 * returns the handle) until the gate opens.
	 */
	Gate holdNextStart() {
		Gate held = new Gate();
		this.gate = held;
		return held;
	}

	/** A pool that runs its executions with this runner. */
	WorkerPool pool(String name, int maxConcurrency, int queueCapacity, ScheduledExecutorService timer) {
		return new WorkerPool(name, config(name, maxConcurrency, queueCapacity), this, timer);
	}

	/** The configuration of a thread pool with these bounds and the type's defaults. */
	static ExecutionProperties.Pool config(String name, int maxConcurrency, int queueCapacity) {
		return new ExecutionProperties.Pool(PoolType.THREAD, maxConcurrency, queueCapacity, null, null, null, null,
				null)
			.resolve(name, Path.of("data"));
	}

	@Override
	public RunningJob start(ExecutionSpec spec, Instant startedAt, ExecutionListener listener) {
		Run run = new Run(spec, listener, startWithEnd ? ExecutionStart.withoutProcess(startedAt) : null);
		mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
		started.add(run);
		if (!startWithEnd) {
			listener.started(ExecutionStart.withoutProcess(startedAt));
		}
		Gate held = gate;
		if (held != null) {
			gate = null;
			held.hold();
		}
		Executor ender = endAfterStart;
		if (ender != null) {
			ender.execute(run::succeed);
		}
		return run;
	}

	List<Run> started() {
		return started;
	}

	List<String> startedJobIds() {
		return started.stream().map((run) -> run.spec().jobId()).toList();
	}

	/** The run of {@code jobId}; fails when it was not started. */
	Run run(String jobId) {
		return started.stream()
			.filter((run) -> run.spec().jobId().equals(jobId))
			.findFirst()
			.orElseThrow(() -> new AssertionError(jobId + " was not started; started: " + startedJobIds()));
	}

	boolean hasStarted(String jobId) {
		return startedJobIds().contains(jobId);
	}

	/** The most runs that were under way at once. */
	int mostRunning() {
		return mostRunning.get();
	}

	/** One started execution, as the runner sees it. */
	final class Run implements RunningJob {

		private final ExecutionSpec spec;

		private final ExecutionListener listener;

		private final List<TerminationReason> terminations = new CopyOnWriteArrayList<>();

		private final AtomicBoolean ended = new AtomicBoolean();

		/** The start it reports with its end, or null when it reported it already. */
		private final ExecutionStart unreported;

		private Run(ExecutionSpec spec, ExecutionListener listener, ExecutionStart unreported) {
			this.spec = spec;
			this.listener = listener;
			this.unreported = unreported;
		}

		ExecutionSpec spec() {
			return spec;
		}

		/** What the pool asked this run to terminate for, in order. */
		List<TerminationReason> terminations() {
			return terminations;
		}

		void succeed() {
			end(ExecutionOutcome.taskReturned("done"));
		}

		void end(ExecutionOutcome outcome) {
			if (ended.compareAndSet(false, true)) {
				running.decrementAndGet();
			}
			if (unreported != null) {
				listener.startedAndFinished(unreported, outcome);
			}
			else {
				listener.finished(outcome);
			}
		}

		@Override
		public void terminate(TerminationReason reason) {
			terminations.add(reason);
			if (endOnTerminate) {
				end(ExecutionOutcome.taskTerminated(reason, "terminated for " + reason));
			}
		}

	}

	/** A start held inside the runner until the test opens it. */
	static final class Gate {

		private final CountDownLatch entered = new CountDownLatch(1);

		private final CountDownLatch opened = new CountDownLatch(1);

		/** Waits until a start is held here. */
		void awaitEntered(Duration deadline) throws InterruptedException {
			if (!entered.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new AssertionError("no start reached the gate within " + deadline);
			}
		}

		void open() {
			opened.countDown();
		}

		private void hold() {
			entered.countDown();
			try {
				if (!opened.await(30, TimeUnit.SECONDS)) {
					throw new AssertionError("the gate was never opened");
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new AssertionError("interrupted at the gate", ex);
			}
		}

	}

}
