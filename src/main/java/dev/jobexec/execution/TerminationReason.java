package dev.jobexec.execution;

/**
 * Why the service (or the kernel, for a job's limit), rather than the job itself, ended a
 * job.
 */
public enum TerminationReason {

	/** The job's timeout expired. */
	TIMEOUT,
	/** A client cancelled the job. */
	CANCELLED,
	/** The service shut down while the job was daemon, or outlived the drain. */
	SHUTDOWN,
	/** The service died while the job was not finished. */
	SERVICE_LOST,
	/**
	 * The kernel killed the job's processes for exceeding its memory limit (counted by
	 * its cgroup).
	 */
	MEMORY_LIMIT

}
