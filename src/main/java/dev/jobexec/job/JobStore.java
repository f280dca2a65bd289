package dev.jobexec.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where jobs are kept. {@link #insert} happens before a submission is answered, and
 * {@link #update} after every state change, before the change is reported.
 */
public interface JobStore {

	/**
	 * Cluster mode: the PostgreSQL channel on which the nodes are told that a pool has
	 * queued jobs (the payload is the pool).
	 */
	String QUEUED_CHANNEL = "jobexec_queued";

	/**
	 * Cluster mode: the channel on which the node holding a job is told to cancel it (the
	 * payload is the job's id).
	 */
	String CANCEL_CHANNEL = "jobexec_cancel";

	/**
	 * @throws IdempotencyKeyTakenException when another job holds the job's
	 * {@code Idempotency-Key}
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	void insert(Job job);

	/**
	 * Stores a batch of submitted jobs in one transaction: all of them or none.
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	void insertAll(List<Job> jobs);

	/**
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	void update(Job job);

	Optional<Job> find(String id);

	/** The job that was submitted with {@code idempotencyKey}, while it is kept. */
	Optional<Job> findByIdempotencyKey(String idempotencyKey);

	/** Jobs matching {@code query}, newest first, starting after the cursor. */
	List<Job> list(Query query);

	/** Every job in {@code state}, oldest first. */
	List<Job> inState(JobState state);

	/**
	 * Deletes up to {@code batch} jobs that finished before {@code cutoff}; returns how
	 * many.
	 */
	int deleteFinishedBefore(Instant cutoff, int batch);

	// Cluster mode (PostgreSQL): the job table is the queue every node claims from, and a
	// node writes a job it runs only while it holds both the job and its lease.

	/**
	 * Stores a submitted job. With {@code startOn} (a node that holds a free slot for it)
	 * and no other job of its pool waiting, it is stored as started on that node at
	 * {@code at}; otherwise as queued, unless its pool already has {@code queueCapacity}
	 * unclaimed queued jobs across the cluster (the count and the insert are serialised
	 * across nodes, so the bound is exact), and the nodes are told that the pool has
	 * work.
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	Admission admit(Job job, int queueCapacity, String startOn, Instant at);

	/**
	 * Cluster mode: stores a batch of submitted jobs as queued, all of them or none, in
	 * one transaction: none when one of their pools would then have more unclaimed queued
	 * jobs across the cluster than its capacity in {@code queueCapacities}. The nodes are
	 * told that the pools have work.
	 * @return null when all were stored, otherwise the pool whose queue they do not fit
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	String admitAll(List<Job> jobs, java.util.Map<String, Integer> queueCapacities);

	/** How {@link #admit} stored a job. */
	enum Admission {

		/** Stored as started on the node that asked: it runs there now. */
		STARTED,
		/** Stored as queued, for any node to claim. */
		QUEUED,
		/** Not stored: the pool's queue is full. */
		FULL

	}

	/**
	 * Claims up to {@code max} of the oldest unclaimed queued jobs of {@code pool} for
	 * {@code node}, skipping rows other nodes are claiming at the same moment.
	 */
	List<Job> claim(String node, String pool, int max);

	/**
	 * Writes a job's state on behalf of {@code node}, only if the node still holds the
	 * job and a live lease.
	 * @return false when that is no longer so (nothing was written)
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	boolean updateHeld(Job job, String node);

	/**
	 * Gives a job {@code node} claimed but did not start back to the queue; returns
	 * whether it did.
	 */
	boolean unclaim(String jobId, String node);

	/**
	 * Cancels a job no node has claimed; returns it cancelled, or empty when it is not an
	 * unclaimed queued job (any more).
	 */
	Optional<Job> cancelWaiting(String jobId, Instant at);

	/**
	 * Asks the node that holds the job to cancel it: flags the row and notifies; returns
	 * false when the job has ended.
	 */
	boolean requestCancel(String jobId);

	/** The jobs {@code node} holds (claimed or running), as the store has them. */
	List<Job> heldBy(String node);

	/** The jobs {@code node} holds that a client asked to cancel. */
	List<String> cancelRequested(String node);

	/**
	 * Settles the jobs held by nodes that are not alive: running ones become lost
	 * (returned), or wait for their next attempt when their retry policy says so, claimed
	 * ones that had not started go back to the queue (their pools are returned, once per
	 * job, and the nodes are notified). Idempotent: rows already settled are not touched
	 * again.
	 */
	Settled settleJobsOfDeadNodes(Instant at);

	/**
	 * What {@link #settleJobsOfDeadNodes} changed; {@code retried} are the running jobs
	 * that wait for their next attempt instead of being lost (their retry policy names
	 * LOST), as they were when their node died.
	 */
	record Settled(List<Job> lost, List<String> requeuedPools, List<Retried> retried) {

		public boolean isEmpty() {
			return lost.isEmpty() && requeuedPools.isEmpty() && retried.isEmpty();
		}

	}

	/** A job of a dead node as it was running there, and when its next attempt is due. */
	record Retried(Job.Persisted running, Instant nextAttemptAt) {
	}

	/** Why the last write failed, or null when it succeeded. */
	String writeProblem();

	/** Tries a write; returns whether the store can be written now. */
	boolean probeWrite();

	/**
	 * Numbers the committed state changes that have no number yet, and returns how many:
	 * PostgreSQL, one node at a time across the cluster; the embedded store numbers each
	 * change as it writes it and does nothing here.
	 */
	int sequenceChanges();

	/**
	 * The latest state change of each job numbered after {@code after} and up to
	 * {@code upTo}, in number order, among the jobs {@code filter}'s state, pool and
	 * labels match (its limit and cursor are not used), at most {@code limit}.
	 */
	List<Change> changesAfter(long after, long upTo, Query filter, int limit);

	/** The number of the latest numbered state change; 0 when there is none. */
	long lastChange();

	/**
	 * A job as its state change numbered {@code seq} left it (a later change of the job
	 * takes a new number and replaces this one in the store).
	 */
	record Change(long seq, String id, JobState state, String pool, Map<String, String> labels, String node,
			Instant submittedAt, Instant startedAt, Instant finishedAt, Integer exitCode, Integer signal,
			dev.jobexec.execution.TerminationReason terminationReason, Integer attempt, Instant nextAttemptAt) {

		/** Whether {@code filter}'s state, pool and labels match this change. */
		public boolean matches(Query filter) {
			return (filter.state() == null || filter.state() == state)
					&& (filter.pool() == null || filter.pool().equals(pool))
					&& (filter.labels() == null || labels.entrySet().containsAll(filter.labels().entrySet()));
		}

	}

	/**
	 * A listing: null filters match everything; {@code after} is the id of the last job
	 * of the previous page.
	 */
	record Query(JobState state, String pool, Map<String, String> labels, int limit, String after) {
	}

}
