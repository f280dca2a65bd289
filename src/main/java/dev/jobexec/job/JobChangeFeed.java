package dev.jobexec.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import lombok.extern.slf4j.Slf4j;

import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;

/**
 * The state changes of jobs on every node, in the store's numbering, for the clients of
 * the job event stream. One thread per node reads the store (every
 * {@code jobexec.events.poll-interval}, or at once when a job changes on this node) into
 * a ring of the latest changes, which every client of this node reads from; a client that
 * starts further back reads the store until it reaches the ring. With PostgreSQL the same
 * thread numbers the committed changes, whether or not anyone follows (one node at a time
 * does the work), so that the numbers exist for whoever resumes later.
 */
@Slf4j
public class JobChangeFeed implements SmartLifecycle {

	/**
	 * The most changes one read of the store, or one call of {@link Subscription#next},
	 * returns.
	 */
	static final int PAGE = 500;

	private static final JobStore.Query EVERYTHING = new JobStore.Query(null, null, null, 0, null);

	private final JobStore store;

	private final EventsProperties properties;

	private final Object lock = new Object();

	/** The latest changes read, oldest first, in a circle of {@code buffer} places. */
	private final JobStore.Change[] ring;

	private int first;

	private int size;

	/** Every change numbered after this and up to {@link #head} is in the ring. */
	private long floor;

	private long head;

	private final AtomicInteger subscribers = new AtomicInteger();

	/**
	 * Whether the ring is being kept up to date (there have been clients since it was
	 * last started afresh). Written under the lock; read without it by {@link #changed},
	 * which wakes the reader only while someone follows.
	 */
	private volatile boolean current;

	private final Semaphore wake = new Semaphore(0);

	private volatile Thread reader;

	private volatile boolean running;

	/** The last failure of the reader, logged once. */
	private String lastProblem;

	public JobChangeFeed(JobStore store, EventsProperties properties) {
		this.store = store;
		this.properties = properties;
		this.ring = new JobStore.Change[properties.buffer()];
	}

	/**
	 * A client starts following: after the change numbered {@code after}, or from now
	 * when it is null.
	 * @return empty when this node already serves {@code jobexec.events.max-subscribers}
	 */
	public java.util.Optional<Subscription> subscribe(Long after, JobStore.Query filter) {
		if (subscribers.incrementAndGet() > properties.maxSubscribers()) {
			subscribers.decrementAndGet();
			return java.util.Optional.empty();
		}
		synchronized (lock) {
			if (!current) {
				// Nobody followed until now: the ring starts afresh from what the store
				// holds now (it was not read meanwhile).
				try {
					catchUp();
				}
				catch (RuntimeException ex) {
					subscribers.decrementAndGet();
					throw ex;
				}
				current = true;
				// A change stored since the catch-up did not wake the reader (nobody
				// followed yet): it reads now, not at the next poll.
				wake.release();
			}
			return java.util.Optional.of(new Subscription((after != null) ? after : head, filter));
		}
	}

	/** The number of the latest change this node has read. */
	public long head() {
		synchronized (lock) {
			return head;
		}
	}

	/**
	 * A job changed on this node: while someone follows, the reader looks at the store
	 * now. With nobody following it is not woken (it has nothing to read, and numbering
	 * waits for the poll interval anyway): waking it for each of a job's changes cost the
	 * thread that changed the job a wake-up and the machine a context switch, about 5 %
	 * of the service's CPU under a steady load of short jobs (2026-12-03, a profile of
	 * bench/run.sh's scenario 1). A permit already there is enough.
	 */
	@EventListener
	public void changed(JobEvent event) {
		if (current && wake.availablePermits() == 0
				&& (event instanceof JobEvent.Submitted || event instanceof JobEvent.Started
						|| event instanceof JobEvent.Finished || event instanceof JobEvent.Retried)) {
			wake.release();
		}
	}

	@Override
	public void start() {
		synchronized (lock) {
			head = store.lastChange();
			floor = head;
		}
		running = true;
		reader = Thread.ofPlatform().name("jobexec-events").daemon(true).start(this::readLoop);
	}

	@Override
	public void stop() {
		running = false;
		Thread thread = reader;
		reader = null;
		if (thread != null) {
			thread.interrupt();
		}
		synchronized (lock) {
			lock.notifyAll();
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	private void readLoop() {
		long numbered = System.nanoTime();
		while (running) {
			try {
				if (wake.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS)) {
					wake.drainPermits();
				}
				// Numbering (PostgreSQL) rewrites each changed job's row: once per poll
				// interval at most, however often this node's jobs change, so that a
				// job's
				// changes within it cost one rewrite.
				if (System.nanoTime() - numbered >= properties.pollInterval().toNanos()) {
					numbered = System.nanoTime();
					while (store.sequenceChanges() >= 1000) {
						// more to number
					}
				}
				read();
			}
			catch (InterruptedException ex) {
				return;
			}
			catch (RuntimeException ex) {
				// Once per problem, not every poll while the store is down.
				if (!String.valueOf(ex.getMessage()).equals(lastProblem)) {
					log.warn("Reading job state changes for the event stream failed (retried): {}", ex.getMessage());
				}
				lastProblem = String.valueOf(ex.getMessage());
				continue;
			}
			lastProblem = null;
		}
	}

	/** Reads what the store numbered after the ring's head into the ring. */
	private void read() {
		while (true) {
			long from;
			synchronized (lock) {
				if (!current) {
					return;
				}
				from = head;
			}
			List<JobStore.Change> changes = store.changesAfter(from, Long.MAX_VALUE, EVERYTHING, PAGE);
			synchronized (lock) {
				if (!current || head != from) {
					// The ring started afresh, or stopped being read, meanwhile.
					continue;
				}
				for (JobStore.Change change : changes) {
					append(change);
				}
				if (!changes.isEmpty()) {
					lock.notifyAll();
				}
			}
			if (changes.size() < PAGE) {
				return;
			}
		}
	}

	/** Empties the ring and starts it at the store's latest change. Holds the lock. */
	private void catchUp() {
		first = 0;
		size = 0;
		java.util.Arrays.fill(ring, null);
		head = store.lastChange();
		floor = head;
	}

	private void append(JobStore.Change change) {
		if (size == ring.length) {
			floor = ring[first].seq();
			ring[first] = null;
			first = (first + 1) % ring.length;
			size--;
		}
		ring[(first + size) % ring.length] = change;
		size++;
		head = change.seq();
	}

	/** One client's place in the stream. */
	public final class Subscription implements AutoCloseable {

		private final JobStore.Query filter;

		/** Every change numbered up to this has been looked at for this client. */
		private long scanned;

		/** Whether this client has reached the ring (from then on, it must keep up). */
		private boolean live;

		private boolean closed;

		Subscription(long after, JobStore.Query filter) {
			this.scanned = after;
			this.filter = filter;
		}

		/**
		 * The next changes that match, oldest first, waiting up to {@code wait} for one;
		 * an empty list when none came.
		 * @throws FellBehind when the ring moved past changes this client had not read
		 * (it was too slow): it resumes from the store by reconnecting
		 */
		public List<JobStore.Change> next(Duration wait) throws InterruptedException, FellBehind {
			long bound;
			synchronized (lock) {
				if (scanned >= floor) {
					live = true;
					long deadline = System.nanoTime() + wait.toNanos();
					while (head <= scanned) {
						long left = deadline - System.nanoTime();
						if (left <= 0) {
							return List.of();
						}
						TimeUnit.NANOSECONDS.timedWait(lock, left);
					}
					if (scanned < floor) {
						throw new FellBehind(floor - scanned);
					}
					return fromRing();
				}
				if (live) {
					throw new FellBehind(floor - scanned);
				}
				bound = head;
			}
			// Further back than the ring: from the store, up to what the ring holds.
			List<JobStore.Change> page = store.changesAfter(scanned, bound, filter, PAGE);
			scanned = (page.size() < PAGE) ? bound : page.getLast().seq();
			return page;
		}

		private List<JobStore.Change> fromRing() {
			List<JobStore.Change> matching = new ArrayList<>();
			int index = indexAfter(scanned);
			for (int i = index; i < size && matching.size() < PAGE; i++) {
				JobStore.Change change = ring[(first + i) % ring.length];
				scanned = change.seq();
				if (change.matches(filter)) {
					matching.add(change);
				}
			}
			return matching;
		}

		/** The place in the ring of the first change numbered after {@code seq}. */
		private int indexAfter(long seq) {
			int low = 0;
			int high = size;
			while (low < high) {
				int middle = (low + high) >>> 1;
				if (ring[(first + middle) % ring.length].seq() <= seq) {
					low = middle + 1;
				}
				else {
					high = middle;
				}
			}
			return low;
		}

		/** The number of the last change this client has been shown or passed over. */
		public long position() {
			return scanned;
		}

		@Override
		public void close() {
			if (!closed) {
				closed = true;
				synchronized (lock) {
					if (subscribers.decrementAndGet() == 0) {
						current = false;
					}
				}
			}
		}

	}

	/** A client fell further behind than the ring holds. */
	public static final class FellBehind extends Exception {

		private final long missed;

		FellBehind(long missed) {
			super("fell behind by more than the " + JobChangeFeed.class.getSimpleName() + " keeps");
			this.missed = missed;
		}

		/** How far the oldest change still kept is past this client's place. */
		public long missed() {
			return missed;
		}

	}

}
