package dev.jobexec.job;

import java.time.Duration;

import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;

/**
 * What happens to jobs, published for meters and logs; the job layer never waits on a
 * listener's answer.
 */
public sealed interface JobEvent {

	String pool();

	/** A job was accepted and stored. */
	record Submitted(String pool) implements JobEvent {
	}

	/**
	 * A submission was refused; {@code reason} is queue_full, shutting_down, invalid,
	 * forbidden or store_unavailable, and {@code pool} is {@code unknown} when the
	 * submission named no pool that exists.
	 */
	record Rejected(String pool, String reason) implements JobEvent {
	}

	/** A job left its queue after {@code queueWait}. */
	record Started(String pool, Duration queueWait) implements JobEvent {
	}

	/**
	 * A job reached a terminal state; {@code runTime} is from start (or submission) to
	 * end; {@code reason} is why the service or the kernel ended it (or null), and
	 * {@code usage} what a process job used (or null).
	 */
	record Finished(String pool, JobState state, Duration runTime, TerminationReason reason,
			ResourceUsage usage) implements JobEvent {

		/** A job that ended without running (cancelled in its queue, or lost). */
		public Finished(String pool, JobState state, Duration runTime) {
			this(pool, state, runTime, null, null);
		}

	}

	/**
	 * An attempt of a job ended in {@code outcome}, which its retry policy retries: the
	 * job waits for its next attempt. {@code reason} and {@code usage} are the attempt's,
	 * as for {@link Finished}.
	 */
	record Retried(String pool, JobState outcome, TerminationReason reason, ResourceUsage usage) implements JobEvent {
	}

	/**
	 * Cluster mode: this node claimed {@code jobs} queued jobs of the pool (possibly
	 * none) in one statement that took {@code took}; {@code trigger} says what woke it.
	 */
	record Claimed(String pool, ClaimTrigger trigger, int jobs, Duration took) implements JobEvent {
	}

	/**
	 * Cluster mode: a state change about a job was dropped because this node no longer
	 * held the job or its lease (the cluster had settled it).
	 */
	record Fenced(String pool) implements JobEvent {
	}

}
