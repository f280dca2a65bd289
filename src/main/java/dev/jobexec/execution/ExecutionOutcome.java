package dev.jobexec.execution;

/**
 * How an execution ended, as the pool reports it to whoever submitted it. Made by the
 * named factories below, one per way an execution can end.
 */
public record ExecutionOutcome(Status status, Integer exitCode, Integer signal, Object result, String error,
		CapturedOutput stdout, CapturedOutput stderr, TerminationReason terminationReason, ResourceUsage usage) {

	/** The ending, before it is mapped onto a job state. */
	public enum Status {

		SUCCEEDED, FAILED, TIMED_OUT, CANCELLED

	}

	/** A job that never started because it was removed from its queue. */
	public static ExecutionOutcome cancelledWhileQueued(TerminationReason reason) {
		return new ExecutionOutcome(Status.CANCELLED, null, null, null, null, null, null, reason, null);
	}

	/**
	 * A queued job that could not be dispatched at all (after a restart, its pool or
	 * command went away).
	 */
	public static ExecutionOutcome notDispatched(String why) {
		return new ExecutionOutcome(Status.CANCELLED, null, null, null, why, null, null, null, null);
	}

	/** A process that could not be started; it wrote nothing. */
	public static ExecutionOutcome failedToStart(String error) {
		return new ExecutionOutcome(Status.FAILED, null, null, null, error, CapturedOutput.EMPTY, CapturedOutput.EMPTY,
				null, null);
	}

	/**
	 * A process that ran: its exit code and signal (null when the service lost track of
	 * it), what it wrote, why the service (or the kernel, for its memory limit) ended it,
	 * if it did, and what it used.
	 */
	public static ExecutionOutcome processEnded(Status status, Integer exitCode, Integer signal, String error,
			CapturedOutput stdout, CapturedOutput stderr, TerminationReason terminatedFor, ResourceUsage usage) {
		return new ExecutionOutcome(status, exitCode, signal, null, error, stdout, stderr, terminatedFor, usage);
	}

	/** A task that returned {@code result}. */
	public static ExecutionOutcome taskReturned(Object result) {
		return new ExecutionOutcome(Status.SUCCEEDED, null, null, result, null, null, null, null, null);
	}

	/** A task that threw. */
	public static ExecutionOutcome taskFailed(String error) {
		return new ExecutionOutcome(Status.FAILED, null, null, null, error, null, null, null, null);
	}

	/** A task the service ended for {@code reason}. */
	public static ExecutionOutcome taskTerminated(TerminationReason reason, String error) {
		return new ExecutionOutcome(statusFor(reason), null, null, null, error, null, null, reason, null);
	}

	/** The status a job terminated by the service ends in. */
	public static Status statusFor(TerminationReason reason) {
		return switch (reason) {
			case TIMEOUT -> Status.TIMED_OUT;
			case MEMORY_LIMIT -> Status.FAILED;
			case CANCELLED, SHUTDOWN, SERVICE_LOST -> Status.CANCELLED;
		};
	}

}
