package dev.jobexec.job;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where jobs are kept. {@link #update} is called once for every state change, after the change
 * and before it is reported to clients.
 */
public interface JobStore {

	void insert(Job job);

	void update(Job job);

	Optional<Job> find(String id);

	/** Jobs matching {@code query}, newest first, starting after the cursor. */
	List<Job> list(Query query);

	/**
	 * A listing: null filters match everything; {@code after} is the id of the last job of the
	 * previous page.
	 */
	record Query(JobState state, String pool, Map<String, String> labels, int limit, String after) {
	}

}
