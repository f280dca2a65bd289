package dev.jobexec.job;

/**
 * This node's lease in a cluster (a PostgreSQL store): its id, and whether it may claim,
 * start and record jobs now. The cluster's heartbeat renews it; the job service reads it
 * before each of those steps. Held is judged by this JVM's monotonic clock against a
 * deadline that ends before the database lets the lease expire.
 */
public final class NodeLease {

	private final String nodeId;

	private final boolean clustered;

	/** Whether a lease was ever renewed and not lost since; guards {@link #until}. */
	private volatile boolean renewed;

	private volatile long until;

	/**
	 * @param clustered whether the service is a node of a cluster; on the embedded store
	 * the lease exists but is never used
	 */
	public NodeLease(String nodeId, boolean clustered) {
		this.nodeId = nodeId;
		this.clustered = clustered;
	}

	public boolean clustered() {
		return clustered;
	}

	public String nodeId() {
		return nodeId;
	}

	/** Whether this node holds its lease now. */
	public boolean isHeld() {
		return renewed && System.nanoTime() - until < 0;
	}

	/**
	 * The lease was renewed; it is held until {@code untilNanos}
	 * ({@link System#nanoTime}).
	 */
	public void renewed(long untilNanos) {
		until = untilNanos;
		renewed = true;
	}

	/** The lease is gone (expired in the database, or left): held no more. */
	public void lost() {
		renewed = false;
	}

}
