package dev.jobexec.cluster;

import java.util.concurrent.atomic.AtomicLong;

/** What this node's membership of the cluster has done, for meters and the endpoint. */
public final class NodeCounters {

	private final AtomicLong renewals = new AtomicLong();

	private final AtomicLong renewalFailures = new AtomicLong();

	private final AtomicLong fences = new AtomicLong();

	private final AtomicLong rejoins = new AtomicLong();

	private final AtomicLong nodesSettled = new AtomicLong();

	private final AtomicLong jobsLost = new AtomicLong();

	private final AtomicLong jobsRequeued = new AtomicLong();

	private final AtomicLong polls = new AtomicLong();

	private final AtomicLong notifications = new AtomicLong();

	void renewed() {
		renewals.incrementAndGet();
	}

	void renewalFailed() {
		renewalFailures.incrementAndGet();
	}

	void fenced() {
		fences.incrementAndGet();
	}

	void rejoined() {
		rejoins.incrementAndGet();
	}

	void settledNode() {
		nodesSettled.incrementAndGet();
	}

	void settledJob(boolean lost) {
		(lost ? jobsLost : jobsRequeued).incrementAndGet();
	}

	void polled() {
		polls.incrementAndGet();
	}

	void notified() {
		notifications.incrementAndGet();
	}

	public long renewals() {
		return renewals.get();
	}

	public long renewalFailures() {
		return renewalFailures.get();
	}

	public long fences() {
		return fences.get();
	}

	public long rejoins() {
		return rejoins.get();
	}

	public long nodesSettled() {
		return nodesSettled.get();
	}

	public long jobsLost() {
		return jobsLost.get();
	}

	public long jobsRequeued() {
		return jobsRequeued.get();
	}

	public long polls() {
		return polls.get();
	}

	public long notifications() {
		return notifications.get();
	}

}
