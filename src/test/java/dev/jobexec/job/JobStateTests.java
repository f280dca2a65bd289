package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;

import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.TerminationReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class JobStateTests {

	@Test
	void queuedJobMayStartBeCancelledOrBeLost() {
		assertThat(JobState.QUEUED.canMoveTo(JobState.RUNNING)).isTrue();
		assertThat(JobState.QUEUED.canMoveTo(JobState.CANCELLED)).isTrue();
		assertThat(JobState.QUEUED.canMoveTo(JobState.LOST)).isTrue();
		assertThat(JobState.QUEUED.canMoveTo(JobState.SUCCEEDED)).isFalse();
		assertThat(JobState.QUEUED.canMoveTo(JobState.TIMED_OUT)).isFalse();
	}

	@Test
	void runningJobMayEndInAnyTerminalState() {
		for (JobState end : new JobState[] { JobState.SUCCEEDED, JobState.FAILED, JobState.TIMED_OUT,
				JobState.CANCELLED, JobState.LOST }) {
			assertThat(JobState.RUNNING.canMoveTo(end)).isTrue();
		}
		// Back to the queue only for its next attempt (a retry policy).
		assertThat(JobState.RUNNING.canMoveTo(JobState.QUEUED)).isTrue();
	}

	@ParameterizedTest
	@EnumSource(value = JobState.class, names = { "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "LOST" })
	void terminalStatesNeverChange(JobState terminal) {
		assertThat(terminal.isTerminal()).isTrue();
		for (JobState next : JobState.values()) {
			assertThat(terminal.canMoveTo(next)).isFalse();
		}
	}

	@Test
	void jobRefusesAnIllegalMove() {
		Job job = new Job("id", "thread", new JobRequest(null, null, "echo", null, null, null, null, null, null, null),
				Duration.ofSeconds(1), Instant.now());
		ExecutionOutcome cancelled = ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED);
		job.cancel(cancelled, Instant.now());
		assertThat(job.state()).isEqualTo(JobState.CANCELLED);
		assertThatIllegalStateException().isThrownBy(() -> job.start(null, null, null, Instant.now()))
			.withMessageContaining("cannot move from CANCELLED to RUNNING");
		assertThatIllegalStateException().isThrownBy(() -> job.loseOrRetry(Instant.now()));
	}

}
