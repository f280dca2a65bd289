package dev.jobexec.job;

/** What made a node of a cluster claim queued jobs. */
public enum ClaimTrigger {

	/** A job was submitted to this node while it had a free slot. */
	SUBMIT,
	/** A job of this node ended and freed its slot. */
	SLOT,
	/** Another node notified that a pool has queued jobs (LISTEN/NOTIFY). */
	NOTIFICATION,
	/** The periodic poll, the fallback for a notification that was missed. */
	POLL,
	/** A job this node retries, or settled for a retry, is due for its next attempt. */
	RETRY;

	/** The tag value in metrics. */
	public String tag() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

}
