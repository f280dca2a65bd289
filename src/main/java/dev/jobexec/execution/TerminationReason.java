package dev.jobexec.execution;

/** Why the service, rather than the job itself, ended a job. */
public enum TerminationReason {

	/** The job's timeout expired. */
	TIMEOUT,
	/** A client cancelled the job. */
	CANCELLED,
	/** The service shut down while the job was daemon, or outlived the drain. */
	SHUTDOWN,
	/** The service died while the job was not finished. */
	SERVICE_LOST

}
