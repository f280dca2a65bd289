package dev.jobexec.execution;

import java.time.Instant;

/**
 * Receives what happens to one execution. The same interface carries it all the way: a
 * runner reports to the execution, the execution settles its pool and reports to whoever
 * submitted the job, so {@code execution} never calls back into the job layer.
 */
public interface ExecutionListener {

	/**
	 * The execution is about to start, at {@code at}: nothing of it runs yet. Returning
	 * false ends it without starting it ({@link #finished} reports that); a node of a
	 * cluster does so when it can no longer show that the job is its own to run.
	 */
	default boolean launching(Instant at) {
		return true;
	}

	/**
	 * The execution left its queue and runs (or failed to start, which {@link #finished}
	 * then reports); called once, before {@link #finished}.
	 */
	void started(ExecutionStart start);

	/**
	 * The execution ended; called exactly once, whether it ran or not, unless
	 * {@link #startedAndFinished} reported the end.
	 */
	void finished(ExecutionOutcome outcome);

	/**
	 * The execution started and has already ended, reported together in place of
	 * {@link #started} and {@link #finished}: a runner may hold a start back for a
	 * moment, so that an execution that ends at once is stored in one write instead of
	 * two. By default, the one and then the other.
	 */
	default void startedAndFinished(ExecutionStart start, ExecutionOutcome outcome) {
		started(start);
		finished(outcome);
	}

}
