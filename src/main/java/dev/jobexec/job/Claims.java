package dev.jobexec.job;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.execution.WorkerPool;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Cluster mode: claims queued jobs from the shared queue for this node, never more of a
 * pool than it has free slots. Claims of one pool are serialised on this node, so that
 * two claims never count the same free slot; wake-ups are taken by one thread, so that
 * the thread that ended a job or read a notification never waits for the database.
 */
@Slf4j
final class Claims {

	private final JobService jobs;

	private final JobStore store;

	private final NodeLease lease;

	private final ApplicationEventPublisher events;

	private final Map<String, Object> locks = new ConcurrentHashMap<>();

	/**
	 * Pools whose last claim found fewer queued jobs than it had slots: a slot that frees
	 * there claims nothing until a notification, a poll or a submission says there is
	 * work again, which saves the statement that would find nothing.
	 */
	private final Set<String> drained = ConcurrentHashMap.newKeySet();

	/** Pools to claim for, with what asked first. */
	private final Map<WorkerPool, ClaimTrigger> wanted = new ConcurrentHashMap<>();

	private volatile boolean running;

	private volatile Thread thread;

	Claims(JobService jobs, JobStore store, NodeLease lease, ApplicationEventPublisher events) {
		this.jobs = jobs;
		this.store = store;
		this.lease = lease;
		this.events = events;
	}

	void start() {
		running = true;
		thread = Thread.ofPlatform().name("jobexec-claimer").daemon(true).start(this::loop);
	}

	void stop() {
		running = false;
		Thread claimer = thread;
		if (claimer != null) {
			LockSupport.unpark(claimer);
			try {
				claimer.join(Duration.ofSeconds(5));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** Asks the claimer thread to claim for {@code pool}; returns at once. */
	void wake(WorkerPool pool, ClaimTrigger trigger) {
		if (trigger == ClaimTrigger.SLOT && drained.contains(pool.name())) {
			return;
		}
		if (trigger != ClaimTrigger.SLOT) {
			drained.remove(pool.name());
		}
		if (running) {
			wanted.putIfAbsent(pool, trigger);
			Thread claimer = thread;
			if (claimer != null) {
				LockSupport.unpark(claimer);
			}
		}
	}

	private void loop() {
		while (running) {
			for (Iterator<Map.Entry<WorkerPool, ClaimTrigger>> it = wanted.entrySet().iterator(); it.hasNext();) {
				Map.Entry<WorkerPool, ClaimTrigger> next = it.next();
				it.remove();
				try {
					claim(next.getKey(), null, next.getValue());
				}
				catch (RuntimeException ex) {
					log.warn("Claiming jobs of pool '{}' failed", next.getKey().name(), ex);
				}
			}
			if (wanted.isEmpty()) {
				LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
			}
		}
	}

	/**
	 * Claims as many of the pool's oldest queued jobs as it has free slots, and starts
	 * them; {@code known} is a job this node already holds in memory (submitted here).
	 */
	void claim(WorkerPool pool, Job known, ClaimTrigger trigger) {
		if (!running || !lease.isHeld()) {
			return;
		}
		synchronized (locks.computeIfAbsent(pool.name(), (name) -> new Object())) {
			List<WorkerPool.Reservation> slots = pool.reserveFreeSlots(Integer.MAX_VALUE);
			int free = slots.size();
			if (free == 0) {
				return;
			}
			long began = System.nanoTime();
			List<Job> claimed;
			try {
				claimed = store.claim(lease.nodeId(), pool.name(), free);
			}
			catch (StoreUnavailableException ex) {
				slots.forEach(WorkerPool.Reservation::release);
				return;
			}
			events.publishEvent(new JobEvent.Claimed(pool.name(), trigger, claimed.size(),
					Duration.ofNanos(System.nanoTime() - began)));
			if (claimed.size() < free) {
				drained.add(pool.name());
			}
			else {
				drained.remove(pool.name());
			}
			for (int i = 0; i < free; i++) {
				if (i < claimed.size()) {
					Job row = claimed.get(i);
					jobs.dispatchClaimed((known != null && known.id().equals(row.id())) ? known : row, slots.get(i));
				}
				else {
					slots.get(i).release();
				}
			}
		}
	}

}
