package dev.jobexec.execution;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A named, bounded pool: at most {@code max-concurrency} executions run, at most
 * {@code queue-capacity} wait, and the next submission is refused.
 */
public final class WorkerPool {

	private final String name;

	private final ExecutionProperties.Pool config;

	private final JobRunner runner;

	private final ScheduledExecutorService timer;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = lock.newCondition();

	private final ArrayDeque<Execution> queue = new ArrayDeque<>();

	private final Set<Execution> running = new HashSet<>();

	private int reservations;

	private long completed;

	private long rejected;

	private boolean accepting = true;

	private boolean dispatching = true;

	/** Executions to launch once the launch under way on this thread has returned. */
	private final ThreadLocal<ArrayDeque<Execution>> launching = new ThreadLocal<>();

	WorkerPool(String name, ExecutionProperties.Pool config, JobRunner runner, ScheduledExecutorService timer) {
		this.name = name;
		this.config = config;
		this.runner = runner;
		this.timer = timer;
	}

	public String name() {
		return name;
	}

	public ExecutionProperties.Pool config() {
		return config;
	}

	/**
	 * Holds a place for one submission, so that it can be stored before it is queued.
	 * @throws PoolFullException when the pool runs at its limit and its queue is full
	 * @throws PoolClosedException when the service is shutting down
	 */
	public Reservation reserve() {
		return reserve(false);
	}

	/**
	 * Holds a place for a job that was accepted before a restart: it was within the
	 * limits then, so it is taken back even when the queue is now full (for instance
	 * after a smaller queue-capacity was configured).
	 */
	public Reservation reserveAccepted() {
		return reserve(true);
	}

	private Reservation reserve(boolean alreadyAccepted) {
		lock.lock();
		try {
			if (!accepting) {
				rejected++;
				throw new PoolClosedException(name);
			}
			if (!alreadyAccepted && running.size() + queue.size() + reservations >= config.maxConcurrency()
					+ config.queueCapacity()) {
				rejected++;
				throw new PoolFullException(name, config.queueCapacity());
			}
			reservations++;
			return new Reservation();
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Cluster mode: holds a slot in which a submission starts at once, or returns null
	 * when there is none (the pool runs at its limit, or is shutting down).
	 */
	public Reservation reserveFreeSlot() {
		List<Reservation> slots = reserveFreeSlots(1);
		return slots.isEmpty() ? null : slots.getFirst();
	}

	/**
	 * Cluster mode: holds every free slot, up to {@code max}, in one step, so that a
	 * claim never counts a slot a submission takes meanwhile (or the other way round).
	 */
	public List<Reservation> reserveFreeSlots(int max) {
		lock.lock();
		try {
			List<Reservation> slots = new ArrayList<>();
			if (accepting && dispatching) {
				while (slots.size() < max && running.size() + queue.size() + reservations < config.maxConcurrency()) {
					reservations++;
					slots.add(new Reservation());
				}
			}
			return slots;
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Refuses a submission in cluster mode, where the queue is the cluster's: counts it
	 * and returns why.
	 */
	public PoolFullException refuseFull() {
		lock.lock();
		try {
			rejected++;
			return new PoolFullException(name, config.queueCapacity());
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * @throws PoolClosedException when the service is shutting down
	 */
	public void checkOpen() {
		lock.lock();
		try {
			if (!accepting) {
				rejected++;
				throw new PoolClosedException(name);
			}
		}
		finally {
			lock.unlock();
		}
	}

	public PoolSnapshot snapshot() {
		lock.lock();
		try {
			return new PoolSnapshot(name, config.type(), config.maxConcurrency(), config.queueCapacity(),
					running.size(), queue.size(), completed, rejected, runner.stuckThreads(), config.defaultTimeout(),
					config.maxTimeout(), config.killGrace(), accepting);
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Takes a queued execution out of the queue; returns false when it was not queued (it
	 * has been launched, or taken out already).
	 */
	boolean dequeue(Execution execution) {
		lock.lock();
		try {
			boolean removed = queue.remove(execution);
			if (removed) {
				changed.signalAll();
			}
			return removed;
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Gives back the slot of an execution that ended; returns the queued execution that
	 * takes it, for the caller to launch once it has reported the end, or null.
	 */
	Execution release(Execution execution) {
		lock.lock();
		try {
			Execution next = null;
			if (running.remove(execution)) {
				completed++;
				if (dispatching && running.size() < config.maxConcurrency()) {
					next = queue.poll();
					if (next != null) {
						running.add(next);
					}
				}
			}
			changed.signalAll();
			return next;
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Launches {@code execution}. A runner may end an execution inside its start (a spawn
	 * that failed), and that end hands the slot to the next queued execution: on a thread
	 * that is already launching, the next one waits until the current launch returns, so
	 * that a queue of executions that fail to start is worked through in a loop, not by a
	 * recursion as deep as the queue.
	 */
	void launch(Execution execution) {
		ArrayDeque<Execution> next = launching.get();
		if (next != null) {
			next.add(execution);
			return;
		}
		next = new ArrayDeque<>();
		launching.set(next);
		RuntimeException failure = null;
		try {
			for (Execution current = execution; current != null; current = next.poll()) {
				try {
					current.launch(runner, timer);
				}
				catch (RuntimeException ex) {
					// The ones deferred behind it hold slots too: they are launched all
					// the same.
					failure = (failure != null) ? failure : ex;
				}
			}
		}
		finally {
			launching.remove();
		}
		if (failure != null) {
			throw failure;
		}
	}

	/** Refuses new submissions; what is queued or running is untouched. */
	void close() {
		lock.lock();
		try {
			accepting = false;
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Stops starting queued executions, then cancels the queued ones that match and
	 * terminates the running ones that match.
	 */
	void stopDispatching(Predicate<Execution> cancelQueued, Predicate<Execution> terminateRunning,
			TerminationReason reason) {
		List<Execution> dequeued = new ArrayList<>();
		List<Execution> toTerminate;
		lock.lock();
		try {
			dispatching = false;
			for (Iterator<Execution> it = queue.iterator(); it.hasNext();) {
				Execution execution = it.next();
				if (cancelQueued.test(execution)) {
					it.remove();
					dequeued.add(execution);
				}
			}
			toTerminate = running.stream().filter(terminateRunning).toList();
		}
		finally {
			lock.unlock();
		}
		dequeued.forEach((execution) -> execution.cancelQueued(reason));
		toTerminate.forEach((execution) -> execution.terminate(reason));
	}

	/**
	 * Waits until nothing runs in this pool; returns whether that happened before the
	 * deadline.
	 */
	boolean awaitIdle(long deadlineNanos) throws InterruptedException {
		lock.lock();
		try {
			while (!running.isEmpty()) {
				long left = deadlineNanos - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				changed.awaitNanos(left);
			}
			return true;
		}
		finally {
			lock.unlock();
		}
	}

	Duration killGrace() {
		return config.killGrace();
	}

	/** A place held in the pool for one submission; use it once, or release it. */
	public final class Reservation {

		private boolean used;

		private Reservation() {
		}

		private Execution execution;

		/**
		 * Creates the execution this place is for, without queueing it yet, so that the
		 * caller can register the handle before any outcome can be reported.
		 */
		public Execution bind(ExecutionSpec spec, ExecutionListener listener) {
			if (execution != null) {
				throw new IllegalStateException("reservation already bound");
			}
			execution = new Execution(WorkerPool.this, spec, listener);
			return execution;
		}

		/** Queues the bound execution, or starts it at once when a slot is free. */
		public void submit() {
			if (execution == null) {
				throw new IllegalStateException("bind an execution first");
			}
			boolean start = false;
			lock.lock();
			try {
				use();
				if (dispatching && running.size() < config.maxConcurrency()) {
					running.add(execution);
					start = true;
				}
				else {
					queue.add(execution);
				}
			}
			finally {
				lock.unlock();
			}
			if (start) {
				launch(execution);
			}
		}

		/** Gives the place back unused, for instance when storing the job failed. */
		public void release() {
			lock.lock();
			try {
				use();
			}
			finally {
				lock.unlock();
			}
		}

		private void use() {
			if (used) {
				throw new IllegalStateException("reservation already used");
			}
			used = true;
			reservations--;
		}

	}

	static long deadline(Duration timeout) {
		return System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.DAYS.toNanos(1));
	}

}
