package dev.jobexec.execution;

/** A started execution as its runner sees it: something that can be terminated. */
public interface RunningJob {

	/** The OS process id (also the process group id), or null for a task. */
	Long pid();

	/**
	 * Starts the termination ladder; a second call, or a call after the end, does
	 * nothing.
	 */
	void terminate(TerminationReason reason);

}
