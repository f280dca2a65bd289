package dev.jobexec.execution;

/** How an execution ended, as the pool reports it to whoever submitted it. */
public record ExecutionOutcome(Status status, Integer exitCode, Integer signal, Object result, String error,
		CapturedOutput stdout, CapturedOutput stderr, TerminationReason terminationReason) {

	/** The ending, before it is mapped onto a job state. */
	public enum Status {

		SUCCEEDED, FAILED, TIMED_OUT, CANCELLED

	}

	/** A job that never started because it was removed from its queue. */
	public static ExecutionOutcome cancelledWhileQueued(TerminationReason reason) {
		return new ExecutionOutcome(Status.CANCELLED, null, null, null, null, null, null, reason);
	}

	/** The status a job terminated by the service ends in. */
	public static Status statusFor(TerminationReason reason) {
		return (reason == TerminationReason.TIMEOUT) ? Status.TIMED_OUT : Status.CANCELLED;
	}

}
