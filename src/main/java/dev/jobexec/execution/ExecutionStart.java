package dev.jobexec.execution;

import java.time.Instant;

/**
 * How an execution started: {@code at} is when its timeout clock started, so the timeout
 * never fires before {@code at} plus the timeout; {@code pid} (also the process group id)
 * and {@code pidStartTicks} (its start time in {@code /proc}, so that a reused pid is
 * never taken for it) are null for a task, or for a process that could not be started.
 */
public record ExecutionStart(Instant at, Long pid, Long pidStartTicks) {

	/** A start without a process: a task, or a process that could not be spawned. */
	public static ExecutionStart withoutProcess(Instant at) {
		return new ExecutionStart(at, null, null);
	}

}
