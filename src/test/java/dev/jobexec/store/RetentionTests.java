package dev.jobexec.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** Finished jobs older than the retention are deleted, counted, and gone from the API. */
@JobexecHttpTest
class RetentionTests {

	@Autowired
	Api api;

	@Autowired
	JobStore store;

	@Autowired
	RetentionSweeper sweeper;

	@Test
	void finishedJobsOlderThanTheRetentionAreDeletedAndCounted() {
		Job old = JobFixtures.newJob("process",
				new JobRequest(null, List.of("/bin/true"), null, null, null, null, null, null, null, null),
				Duration.ofMinutes(1), Instant.now().minus(Duration.ofDays(9)));
		store.insert(old);
		JobFixtures.finish(old, ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED),
				Instant.now().minus(Duration.ofDays(8)));
		store.update(old);
		String recent = api.submitId("{\"command\":[\"/bin/true\"]}");
		api.awaitEnd(recent);
		api.client().get().uri("/api/v1/jobs/{id}", old.id()).exchange().expectStatus().isOk();
		long deletedBefore = sweeper.deleted();

		sweeper.sweep();

		api.client().get().uri("/api/v1/jobs/{id}", old.id()).exchange().expectStatus().isNotFound();
		api.client().get().uri("/api/v1/jobs/{id}", recent).exchange().expectStatus().isOk();
		assertThat(sweeper.deleted()).isGreaterThan(deletedBefore);
		api.client()
			.get()
			.uri("/actuator/metrics/jobexec.jobs.deleted")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.measurements[0].value")
			.value((value) -> assertThat(((Number) value).longValue()).isGreaterThanOrEqualTo(1));
	}

}
