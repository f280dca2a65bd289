package dev.jobexec.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.springframework.transaction.support.TransactionTemplate;

/**
 * Group commit: writers that arrive while a commit is under way are committed together,
 * in one transaction, by whichever of them gets the lock next. Each caller still returns
 * only once its own write is committed, so a write is as durable when {@link #run}
 * returns as it was with a transaction of its own; what is saved is one commit (an H2
 * chunk written to the file, a PostgreSQL WAL flush) per write. A batch that fails is
 * retried one write at a time, so that one bad write fails alone. Where the store keeps a
 * {@link StoreJournal}, each transaction appends the redo records of its writes to it
 * before it commits: a journal that cannot be written rolls the transaction back.
 */
final class GroupCommit {

	/** Bounds the work, and the transaction, one caller may do for the others. */
	private static final int MAX_BATCH = 256;

	private final TransactionTemplate transactions;

	private final ConcurrentLinkedQueue<Write> pending = new ConcurrentLinkedQueue<>();

	private final ReentrantLock lock;

	private final StoreJournal journal;

	GroupCommit(TransactionTemplate transactions) {
		this(transactions, null);
	}

	GroupCommit(TransactionTemplate transactions, StoreJournal journal) {
		this.transactions = transactions;
		this.journal = journal;
		this.lock = (journal != null) ? journal.writers() : new ReentrantLock();
	}

	/**
	 * Runs {@code action} while no transaction of this group commit is under way: every
	 * write that has returned is committed and journaled, and none is half done.
	 */
	void exclusively(Runnable action) {
		lock.lock();
		try {
			action.run();
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Runs {@code sql} (statements through the transaction-bound connection) in a
	 * transaction, possibly shared with other writers; returns once it is committed.
	 * @throws RuntimeException whatever {@code sql} or the commit threw for this write
	 */
	void run(Runnable sql) {
		run(() -> {
			sql.run();
			return null;
		});
	}

	/**
	 * Like {@link #run(Runnable)}, for a write whose effect the journal must keep:
	 * {@code sql} returns its redo record (null for none).
	 */
	void run(Supplier<StoreJournal.Redo> sql) {
		Write write = new Write(sql);
		pending.add(write);
		while (!write.done) {
			lock.lock();
			try {
				if (!write.done) {
					commitPending();
				}
			}
			finally {
				lock.unlock();
			}
		}
		if (write.failure != null) {
			throw write.failure;
		}
	}

	private void commitPending() {
		List<Write> batch = new ArrayList<>();
		for (Write next; batch.size() < MAX_BATCH && (next = pending.poll()) != null;) {
			batch.add(next);
		}
		if (batch.isEmpty()) {
			return;
		}
		try {
			commit(batch);
			batch.forEach((write) -> write.done = true);
		}
		catch (RuntimeException ex) {
			if (batch.size() == 1) {
				batch.getFirst().fail(ex);
				return;
			}
			for (Write write : batch) {
				try {
					commit(List.of(write));
					write.done = true;
				}
				catch (RuntimeException alone) {
					write.fail(alone);
				}
			}
		}
		finally {
			// Only an Error gets here with writes undone: they fail rather than wait
			// forever.
			for (Write write : batch) {
				if (!write.done) {
					write.fail(new IllegalStateException("the transaction of this write was abandoned"));
				}
			}
		}
	}

	/**
	 * Runs {@code writes} in one transaction; their journal records are appended before
	 * the commit, and dropped again if the commit fails.
	 */
	private void commit(List<Write> writes) {
		if (journal == null) {
			transactions.executeWithoutResult((status) -> writes.forEach((write) -> write.sql.get()));
			return;
		}
		long end = journal.end();
		try {
			transactions.executeWithoutResult(
					(status) -> journal.append(writes.stream().map((write) -> write.sql.get()).toList()));
		}
		catch (RuntimeException | Error ex) {
			journal.retract(end);
			throw ex;
		}
	}

	private static final class Write {

		private final Supplier<StoreJournal.Redo> sql;

		private RuntimeException failure;

		/**
		 * Set under the lock by the committer; read by the writer after taking the same
		 * lock or racily.
		 */
		private volatile boolean done;

		Write(Supplier<StoreJournal.Redo> sql) {
			this.sql = sql;
		}

		void fail(RuntimeException ex) {
			failure = ex;
			done = true;
		}

	}

}
