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
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	void insert(Job job);

	/**
	 * @throws StoreUnavailableException when the store cannot be written
	 */
	void update(Job job);

	Optional<Job> find(String id);

	/** Jobs matching {@code query}, newest first, starting after the cursor. */
	List<Job> list(Query query);

	/** Every job in {@code state}, oldest first. */
	List<Job> inState(JobState state);

	/**
	 * Deletes up to {@code batch} jobs that finished before {@code cutoff}; returns how
	 * many.
	 */
	int deleteFinishedBefore(Instant cutoff, int batch);

	/** Why the last write failed, or null when it succeeded. */
	String writeProblem();

	/** Tries a write; returns whether the store can be written now. */
	boolean probeWrite();

	/**
	 * A listing: null filters match everything; {@code after} is the id of the last job
	 * of the previous page.
	 */
	record Query(JobState state, String pool, Map<String, String> labels, int limit, String after) {
	}

}
