package dev.jobexec.job;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import io.swagger.v3.oas.annotations.media.Schema;

/** The states of a job and the one table of moves allowed between them. */
@Schema(enumAsRef = true, description = "QUEUED, then RUNNING, then one of the ends; QUEUED may end CANCELLED; "
		+ "LOST is a job that was running when the service died; a job with a retry policy goes back from RUNNING "
		+ "to QUEUED (with nextAttemptAt) when an attempt ends in an outcome it retries")
public enum JobState {

	QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, LOST;

	// @formatter:off
	private static final Map<JobState, Set<JobState>> ALLOWED = Map.of(
			QUEUED, EnumSet.of(RUNNING, CANCELLED, LOST),
			RUNNING, EnumSet.of(QUEUED, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, LOST),
			SUCCEEDED, EnumSet.noneOf(JobState.class),
			FAILED, EnumSet.noneOf(JobState.class),
			TIMED_OUT, EnumSet.noneOf(JobState.class),
			CANCELLED, EnumSet.noneOf(JobState.class),
			LOST, EnumSet.noneOf(JobState.class));
	// @formatter:on

	public boolean canMoveTo(JobState next) {
		return ALLOWED.get(this).contains(next);
	}

	public boolean isTerminal() {
		return ALLOWED.get(this).isEmpty();
	}

}
