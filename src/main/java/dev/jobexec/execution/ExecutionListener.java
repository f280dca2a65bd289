package dev.jobexec.execution;

/**
 * Receives what happens to one execution; the pool calls it, so {@code execution} never calls
 * back into the job layer.
 */
public interface ExecutionListener {

	/** The execution left the queue and started; {@code pid} is null for a task. */
	void started(Long pid);

	/** The execution ended; called exactly once, whether it ran or not. */
	void finished(ExecutionOutcome outcome);

}
