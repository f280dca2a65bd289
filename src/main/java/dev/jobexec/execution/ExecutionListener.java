package dev.jobexec.execution;

import java.time.Instant;

/**
 * Receives what happens to one execution; the pool calls it, so {@code execution} never
 * calls back into the job layer.
 */
public interface ExecutionListener {

	/**
	 * The execution left the queue and started; {@code pid} is null for a task.
	 * {@code startedAt} is when its timeout clock started, so the timeout never fires
	 * before startedAt + timeout.
	 */
	void started(Long pid, Instant startedAt);

	/** The execution ended; called exactly once, whether it ran or not. */
	void finished(ExecutionOutcome outcome);

}
