package dev.jobexec.execution;

/** A started execution as its runner sees it: something that can be terminated. */
@FunctionalInterface
public interface RunningJob {

	/** A job that did not start, or has nothing left to terminate. */
	RunningJob NONE = (reason) -> {
	};

	/**
	 * Starts the termination ladder; a second call, or a call after the end, does
	 * nothing.
	 */
	void terminate(TerminationReason reason);

}
