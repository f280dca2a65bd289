package dev.jobexec.execution;

import java.util.function.Consumer;

/** Starts executions of one pool: processes or tasks. */
public interface JobRunner {

	/**
	 * Starts {@code spec}; {@code completion} must be called exactly once when it has
	 * ended, from any thread. A failure to start is reported through {@code completion},
	 * not thrown.
	 */
	RunningJob start(ExecutionSpec spec, Consumer<ExecutionOutcome> completion);

	/** Threads of this pool that ignored termination and are still running. */
	default int stuckThreads() {
		return 0;
	}

}
