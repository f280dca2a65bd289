package dev.jobexec.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps jobs in memory, ordered by id (and so by submission time). Finished jobs beyond the
 * retention (a count and a byte budget) are dropped in the order they finished; queued and running
 * jobs are always kept.
 */
class InMemoryJobStore implements JobStore {

	private final ConcurrentSkipListMap<String, Job> jobs = new ConcurrentSkipListMap<>();

	private final ArrayDeque<Retained> finishedOrder = new ArrayDeque<>();

	private long finishedBytes;

	private final int maxFinished;

	private final long maxFinishedBytes;

	InMemoryJobStore(JobStoreProperties properties) {
		this.maxFinished = properties.maxFinishedJobs();
		this.maxFinishedBytes = properties.maxFinishedBytes().toBytes();
	}

	@Override
	public void insert(Job job) {
		if (jobs.putIfAbsent(job.id(), job) != null) {
			throw new IllegalStateException("job " + job.id() + " exists already");
		}
	}

	@Override
	public void update(Job job) {
		if (!job.state().isTerminal()) {
			return;
		}
		synchronized (finishedOrder) {
			Retained retained = new Retained(job.id(), job.retainedBytes());
			finishedOrder.add(retained);
			finishedBytes += retained.bytes();
			while (finishedOrder.size() > maxFinished
					|| (finishedBytes > maxFinishedBytes && finishedOrder.size() > 1)) {
				Retained oldest = finishedOrder.poll();
				jobs.remove(oldest.id());
				finishedBytes -= oldest.bytes();
			}
		}
	}

	@Override
	public Optional<Job> find(String id) {
		return Optional.ofNullable(jobs.get(id));
	}

	@Override
	public List<Job> list(Query query) {
		NavigableMap<String, Job> newestFirst = (query.after() != null)
				? jobs.headMap(query.after(), false).descendingMap() : jobs.descendingMap();
		List<Job> page = new ArrayList<>(query.limit());
		for (Job job : newestFirst.values()) {
			if (matches(job, query)) {
				page.add(job);
				if (page.size() == query.limit()) {
					break;
				}
			}
		}
		return page;
	}

	int size() {
		return jobs.size();
	}

	/** A finished job and the bytes it holds, in the order jobs finished. */
	private record Retained(String id, long bytes) {
	}

	private static boolean matches(Job job, Query query) {
		if (query.state() != null && job.state() != query.state()) {
			return false;
		}
		if (query.pool() != null && !query.pool().equals(job.pool())) {
			return false;
		}
		if (query.labels() != null) {
			for (Map.Entry<String, String> label : query.labels().entrySet()) {
				if (!label.getValue().equals(job.labels().get(label.getKey()))) {
					return false;
				}
			}
		}
		return true;
	}

}
