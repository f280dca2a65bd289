package dev.jobexec.execution;

import java.time.Instant;

/** Starts executions of one pool: processes or tasks. */
public interface JobRunner {

	/**
	 * Starts {@code spec}. The runner reports to {@code listener}: {@code started} once,
	 * with {@code startedAt} (the pool started the timeout clock then), then
	 * {@code finished} exactly once, from any thread; or both at once through
	 * {@code startedAndFinished}, for an execution that ended before its start was
	 * reported. A failure to start is reported that way too, never thrown.
	 */
	RunningJob start(ExecutionSpec spec, Instant startedAt, ExecutionListener listener);

	/** Threads of this pool that ignored termination and are still running. */
	default int stuckThreads() {
		return 0;
	}

}
