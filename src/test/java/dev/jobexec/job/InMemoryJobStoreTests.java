package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.TerminationReason;
import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class InMemoryJobStoreTests {

	private final InMemoryJobStore store = new InMemoryJobStore(new JobStoreProperties(3, DataSize.ofMegabytes(1)));

	@Test
	void finishedJobsBeyondTheRetentionAreDroppedInTheOrderTheyFinished() {
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			Job job = job();
			store.insert(job);
			jobs.add(job);
		}
		// Finish in reverse order of submission: the last submitted finishes first.
		for (int i = 4; i >= 0; i--) {
			finish(jobs.get(i));
		}
		assertThat(store.size()).isEqualTo(4);
		assertThat(store.find(jobs.get(4).id())).isEmpty();
		assertThat(store.find(jobs.get(3).id())).isEmpty();
		assertThat(store.find(jobs.get(0).id())).isPresent();
		assertThat(store.find(jobs.get(5).id())).as("a queued job is never dropped").isPresent();
	}

	@Test
	void finishedJobsBeyondTheByteBudgetAreDroppedOldestFirst() {
		InMemoryJobStore small = new InMemoryJobStore(new JobStoreProperties(100, DataSize.ofKilobytes(300)));
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			// About 200 KB each on the heap: 100,000 characters of stdin.
			Job job = new Job(JobIds.next(), "process", new JobRequest(null, List.of("/bin/cat"), null, null,
					"x".repeat(100_000), null, null, null, null, null), Duration.ofSeconds(1), Instant.now());
			small.insert(job);
			job.cancel(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED), Instant.now());
			small.update(job);
			jobs.add(job);
		}
		assertThat(small.size()).isEqualTo(1);
		assertThat(small.find(jobs.get(3).id())).isPresent();
	}

	@Test
	void listsNewestFirstAfterTheCursor() {
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			Job job = job();
			store.insert(job);
			jobs.add(job);
		}
		assertThat(store.list(new JobStore.Query(null, null, null, 2, null))).containsExactly(jobs.get(4), jobs.get(3));
		assertThat(store.list(new JobStore.Query(null, null, null, 2, jobs.get(3).id()))).containsExactly(jobs.get(2),
				jobs.get(1));
		assertThat(store.list(new JobStore.Query(JobState.CANCELLED, null, null, 10, null))).isEmpty();
	}

	private Job job() {
		return new Job(JobIds.next(), "thread", new JobRequest(null, null, "echo", null, null, null, null, null, null,
				null), Duration.ofSeconds(1), Instant.now());
	}

	private void finish(Job job) {
		job.cancel(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED), Instant.now());
		store.update(job);
	}

}
