package dev.jobexec.execution.thread;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionStart;
import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.JobRunnerFactory;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.execution.TerminationReason;
import lombok.extern.slf4j.Slf4j;

import org.springframework.stereotype.Component;

/**
 * Runs the tasks of one thread pool, one thread per running job. A task that ignores
 * interruption past the kill-grace is declared stuck: its job ends, its slot is given
 * back, and its thread is counted until it returns.
 */
@Slf4j
final class TaskJobRunner implements JobRunner {

	private final String pool;

	private final ExecutionProperties.Pool config;

	private final TaskRegistry registry;

	private final ScheduledExecutorService timer;

	private final ThreadFactory threads;

	private final AtomicInteger stuck = new AtomicInteger();

	TaskJobRunner(String pool, ExecutionProperties.Pool config, TaskRegistry registry, ScheduledExecutorService timer) {
		this.pool = pool;
		this.config = config;
		this.registry = registry;
		this.timer = timer;
		String prefix = "jobexec-" + pool + "-";
		this.threads = config.virtualThreads() ? Thread.ofVirtual().name(prefix, 0).factory()
				: Thread.ofPlatform().name(prefix, 0).daemon(true).factory();
	}

	@Override
	public RunningJob start(ExecutionSpec spec, Instant startedAt, ExecutionListener listener) {
		TaskJob job = new TaskJob(spec, listener);
		job.thread = threads.newThread(job::run);
		try {
			listener.started(ExecutionStart.withoutProcess(startedAt));
		}
		finally {
			// Started after the start is reported, so that the end cannot come first.
			job.thread.start();
		}
		return job;
	}

	@Override
	public int stuckThreads() {
		return stuck.get();
	}

	private final class TaskJob implements RunningJob {

		private final ExecutionSpec spec;

		private final ExecutionListener listener;

		private final AtomicBoolean reported = new AtomicBoolean();

		private volatile Thread thread;

		private volatile TerminationReason reason;

		private boolean declaredStuck;

		private boolean returned;

		TaskJob(ExecutionSpec spec, ExecutionListener listener) {
			this.spec = spec;
			this.listener = listener;
		}

		void run() {
			try {
				JobTask task = registry.task(spec.task());
				Map<String, String> errors = new LinkedHashMap<>();
				Map<String, Object> params = registry.convert(task, spec.params(), errors);
				if (!errors.isEmpty()) {
					throw new IllegalArgumentException("invalid parameters " + errors);
				}
				Object result = task.run(new TaskContext(spec.jobId(), params));
				report((reason != null) ? terminated(null) : ExecutionOutcome.taskReturned(result));
			}
			catch (Throwable ex) {
				if (reason != null) {
					report(terminated(null));
				}
				else {
					String message = (ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName();
					report(ExecutionOutcome.taskFailed(message));
				}
				if (ex instanceof Error error && !(ex instanceof StackOverflowError)) {
					log.error("Task '{}' of job {} threw an error", spec.task(), spec.jobId(), error);
				}
			}
			finally {
				returned();
			}
		}

		@Override
		public void terminate(TerminationReason terminationReason) {
			synchronized (this) {
				// One termination only: a second would count the thread as stuck twice.
				if (reason != null || reported.get()) {
					return;
				}
				reason = terminationReason;
			}
			thread.interrupt();
			timer.schedule(this::declareStuckIfRunning, config.killGrace().toNanos(), TimeUnit.NANOSECONDS);
		}

		private synchronized void returned() {
			returned = true;
			if (declaredStuck) {
				stuck.decrementAndGet();
				log.info("The stuck thread of job {} in pool '{}' returned", spec.jobId(), pool);
			}
		}

		private void declareStuckIfRunning() {
			synchronized (this) {
				if (reported.get() || returned) {
					return;
				}
				declaredStuck = true;
				stuck.incrementAndGet();
			}
			log.warn("Task '{}' of job {} in pool '{}' ignored interruption for {}; its thread is declared stuck",
					spec.task(), spec.jobId(), pool, config.killGrace());
			// Off the timer thread: recording the outcome writes to the store, and the
			// timer fires
			// every other job's deadline.
			Thread.ofVirtual()
				.name("jobexec-stuck-" + spec.jobId())
				.start(() -> report(terminated("the task ignored interruption for " + config.killGrace()
						+ "; its thread is stuck and counted in jobexec.threads.stuck until it returns")));
		}

		private ExecutionOutcome terminated(String detail) {
			String error = switch (reason) {
				case TIMEOUT -> "timed out after " + spec.timeout();
				case SHUTDOWN -> "terminated by service shutdown";
				default -> "cancelled";
			};
			return ExecutionOutcome.taskTerminated(reason, (detail != null) ? error + "; " + detail : error);
		}

		private void report(ExecutionOutcome outcome) {
			if (Thread.currentThread() == thread) {
				// The task is over: an interrupt meant for it must not reach the code
				// that records
				// its outcome (an interrupted thread cannot do file I/O on an
				// interruptible channel).
				Thread.interrupted();
			}
			if (reported.compareAndSet(false, true)) {
				listener.finished(outcome);
			}
		}

	}

	@Component
	static class Factory implements JobRunnerFactory {

		private final TaskRegistry registry;

		private final ScheduledExecutorService timer;

		Factory(TaskRegistry registry, ScheduledExecutorService jobexecTimer) {
			this.registry = registry;
			this.timer = jobexecTimer;
		}

		@Override
		public PoolType type() {
			return PoolType.THREAD;
		}

		@Override
		public JobRunner create(String poolName, ExecutionProperties.Pool config) {
			return new TaskJobRunner(poolName, config, registry, timer);
		}

	}

}
