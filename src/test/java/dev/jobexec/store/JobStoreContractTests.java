package dev.jobexec.store;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.IdempotencyKeyTakenException;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.RetryPolicy;
import dev.jobexec.job.StoreUnavailableException;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** What every job store must do, run against each real database jobexec supports. */
abstract class JobStoreContractTests {

	protected JdbcJobStore store;

	protected DataSource dataSource;

	/** A new, empty database (or schema) for one test. */
	protected abstract DataSource newDataSource();

	@BeforeEach
	void migrate() {
		dataSource = newDataSource();
		Flyway.configure().dataSource(dataSource).load().migrate();
		store = newStore(dataSource, new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
	}

	/** The store as the service builds it on this database. */
	protected JdbcJobStore newStore(DataSource dataSource, TransactionTemplate transactions) {
		return new JdbcJobStore(JdbcClient.create(dataSource), transactions, JsonMapper.builder().build());
	}

	@Test
	void keepsEveryFieldThroughEachStateChange() {
		Job job = JobFixtures.newJob("process",
				new JobRequest("process", List.of("/bin/sh", "-c", "cat"), null, null, "input\n",
						Map.of("GREETING", "hi"), "reports", Duration.ofSeconds(30), true, Map.of("team", "reports")),
				Duration.ofSeconds(30), Instant.now().truncatedTo(ChronoUnit.MICROS));
		store.insert(job);
		assertThat(view(job.id())).isEqualTo(job.persisted());

		JobFixtures.start(job, 4242L, 123456L, "instance-1", Instant.now().truncatedTo(ChronoUnit.MICROS));
		store.update(job);
		assertThat(view(job.id())).isEqualTo(job.persisted());
		assertThat(store.find(job.id()).orElseThrow().persisted().pidStartTicks()).isEqualTo(123456L);
		assertThat(store.find(job.id()).orElseThrow().persisted().instance()).isEqualTo("instance-1");

		JobFixtures.finish(job, new ExecutionOutcome(ExecutionOutcome.Status.FAILED, 137, 9, null,
				"killed by signal 9 (SIGKILL)", new CapturedOutput("out ünïcode\n", 14, false, 14L, null),
				new CapturedOutput("head\n[...]\ntail", 5_000_000, true, 65_536L,
						"the output file stopped at 65536 bytes: No space left on device"),
				null,
				new ResourceUsage(Duration.ofMillis(12), Duration.ofMillis(4), 1_835_008L, 3L, ResourceUsage.CGROUP)),
				Instant.now().truncatedTo(ChronoUnit.MICROS));
		store.update(job);
		Job found = store.find(job.id()).orElseThrow();
		assertThat(found.persisted()).isEqualTo(job.persisted());
		assertThat(JobFixtures.whenTerminal(found)).isDone();
	}

	@Test
	void keepsARetriedJobsPolicyAttemptsAndNextAttemptTime() {
		RetryPolicy retry = new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofMinutes(1),
				java.util.EnumSet.of(JobState.FAILED, JobState.LOST), false);
		Job job = JobFixtures.newJob("process", new JobRequest("process", List.of("/bin/false"), null, null, null, null,
				null, null, null, Map.of("team", "retries")), Duration.ofSeconds(30), now(), retry);
		store.insert(job);
		assertThat(view(job.id())).isEqualTo(job.persisted());
		long before = numbered();

		JobFixtures.start(job, 4242L, 123456L, "instance-1", now());
		store.update(job);
		Instant ended = now();
		assertThat(JobFixtures.finishOrRetry(job, new ExecutionOutcome(ExecutionOutcome.Status.FAILED, 1, null, null,
				"exited with code 1", CapturedOutput.EMPTY, CapturedOutput.EMPTY, null, null), ended))
			.isTrue();
		store.update(job);

		Job.Persisted waiting = view(job.id());
		assertThat(waiting).isEqualTo(job.persisted());
		assertThat(waiting.state()).isEqualTo(JobState.QUEUED);
		assertThat(waiting.attempt()).isEqualTo(2);
		assertThat(waiting.nextAttemptAt()).isEqualTo(ended.plusSeconds(2));
		assertThat(waiting.attempts()).singleElement()
			.isEqualTo(new Job.Attempt(1, job.persisted().attempts().getFirst().startedAt(), ended, JobState.FAILED, 1,
					null, null, "exited with code 1", "instance-1"));
		assertThat(waiting.startedAt()).isNull();
		assertThat(waiting.pid()).isNull();
		assertThat(waiting.instance()).isNull();
		assertThat(store.inState(JobState.QUEUED)).extracting(Job::id).contains(job.id());
		numbered();
		assertThat(store.changesAfter(before, Long.MAX_VALUE, everything(), 10)).singleElement().satisfies((change) -> {
			assertThat(change.state()).isEqualTo(JobState.QUEUED);
			assertThat(change.attempt()).isEqualTo(2);
			assertThat(change.nextAttemptAt()).isEqualTo(ended.plusSeconds(2));
		});

		JobFixtures.start(job, 4243L, 123457L, "instance-2", now());
		store.update(job);
		Instant lost = now();
		assertThat(job.loseOrRetry(lost, "the service stopped while the job was running")).isTrue();
		store.update(job);
		assertThat(view(job.id())).isEqualTo(job.persisted());
		assertThat(view(job.id()).attempts()).extracting(Job.Attempt::state)
			.containsExactly(JobState.FAILED, JobState.LOST);
		assertThat(view(job.id()).nextAttemptAt()).isEqualTo(lost.plusSeconds(4));

		JobFixtures.start(job, 4244L, 123458L, "instance-2", now());
		assertThat(job.loseOrRetry(now(), "the service stopped while the job was running")).isFalse();
		store.update(job);
		Job found = store.find(job.id()).orElseThrow();
		assertThat(found.persisted()).isEqualTo(job.persisted());
		assertThat(found.persisted().state()).isEqualTo(JobState.LOST);
		assertThat(found.persisted().attempt()).isEqualTo(3);
		assertThat(found.persisted().nextAttemptAt()).isNull();
		assertThat(JobFixtures.whenTerminal(found)).isDone();
	}

	private static Instant now() {
		return Instant.now().truncatedTo(ChronoUnit.MICROS);
	}

	@Test
	void keepsATaskResultAsJson() {
		Job job = JobFixtures.newJob("thread", new JobRequest(null, null, "echo",
				Map.of("message", Map.of("n", List.of(1, 2))), null, null, null, null, null, null),
				Duration.ofMinutes(1), Instant.now().truncatedTo(ChronoUnit.MICROS));
		store.insert(job);
		JobFixtures.start(job, null, null, null, Instant.now().truncatedTo(ChronoUnit.MICROS));
		JobFixtures.finish(job, new ExecutionOutcome(ExecutionOutcome.Status.SUCCEEDED, null, null,
				Map.of("n", List.of(1, 2)), null, null, null, null, null),
				Instant.now().truncatedTo(ChronoUnit.MICROS));
		store.update(job);
		assertThat(view(job.id()).result()).isEqualTo(Map.of("n", List.of(1, 2)));
		assertThat(view(job.id()).request().params()).isEqualTo(Map.of("message", Map.of("n", List.of(1, 2))));
	}

	@Test
	void concurrentWritersShareCommitsYetEachSeesItsOwnWriteCommittedAndAFailingWriteFailsAlone() throws Exception {
		int writers = 8;
		int jobsEach = 25;
		Job duplicate = job("process", Map.of());
		store.insert(duplicate);
		List<Job> jobs = java.util.Collections.synchronizedList(new ArrayList<>());
		List<Throwable> duplicateFailures = java.util.Collections.synchronizedList(new ArrayList<>());
		java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
		try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers)) {
			List<java.util.concurrent.Future<?>> done = new ArrayList<>();
			for (int w = 0; w < writers; w++) {
				int writer = w;
				done.add(pool.submit(() -> {
					go.await();
					for (int i = 0; i < jobsEach; i++) {
						if (writer == 0 && i == jobsEach / 2) {
							try {
								store.insert(duplicate);
							}
							catch (StoreUnavailableException ex) {
								duplicateFailures.add(ex);
							}
						}
						Job job = job("process", Map.of("writer", "" + writer));
						store.insert(job);
						JobFixtures.start(job, 1000L + i, null, "instance-1",
								Instant.now().truncatedTo(ChronoUnit.MICROS));
						store.update(job);
						// Committed when update returns: another connection sees it at
						// once.
						assertThat(store.find(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
						jobs.add(job);
					}
					return null;
				}));
			}
			go.countDown();
			for (java.util.concurrent.Future<?> future : done) {
				future.get(2, java.util.concurrent.TimeUnit.MINUTES);
			}
		}
		assertThat(duplicateFailures).hasSize(1);
		assertThat(jobs).hasSize(writers * jobsEach);
		assertThat(store.inState(JobState.RUNNING)).hasSize(writers * jobsEach);
		assertThat(store.inState(JobState.QUEUED)).extracting(Job::id).containsExactly(duplicate.id());
	}

	@Test
	void listsNewestFirstByStatePoolAndLabelsWithACursor() {
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			Job job = job((i % 2 == 0) ? "process" : "reports", Map.of("team", (i < 3) ? "a" : "b", "n", "" + i));
			store.insert(job);
			jobs.add(job);
		}
		cancel(jobs.get(1));
		cancel(jobs.get(4));

		assertThat(ids(new JobStore.Query(null, null, null, 3, null))).containsExactly(id(jobs, 5), id(jobs, 4),
				id(jobs, 3));
		assertThat(ids(new JobStore.Query(null, null, null, 3, id(jobs, 3)))).containsExactly(id(jobs, 2), id(jobs, 1),
				id(jobs, 0));
		assertThat(ids(new JobStore.Query(JobState.CANCELLED, null, null, 10, null))).containsExactly(id(jobs, 4),
				id(jobs, 1));
		assertThat(ids(new JobStore.Query(null, "reports", null, 10, null))).containsExactly(id(jobs, 5), id(jobs, 3),
				id(jobs, 1));
		assertThat(ids(new JobStore.Query(null, null, Map.of("team", "a"), 10, null))).containsExactly(id(jobs, 2),
				id(jobs, 1), id(jobs, 0));
		assertThat(ids(new JobStore.Query(JobState.QUEUED, "process", Map.of("team", "b", "n", "4"), 10, null)))
			.isEmpty();
		assertThat(ids(new JobStore.Query(JobState.QUEUED, "process", Map.of("team", "a", "n", "2"), 10, null)))
			.containsExactly(id(jobs, 2));
	}

	@Test
	void numbersEachJobsLatestStateChangeInCommitOrderAndReadsThemFilteredAfterANumber() {
		long start = numbered();
		Job first = job("process", Map.of("team", "a"));
		Job second = job("reports", Map.of("team", "b"));
		store.insert(first);
		store.insert(second);
		long afterInserts = numbered();
		assertThat(afterInserts).isGreaterThan(start);
		List<JobStore.Change> inserted = store.changesAfter(start, Long.MAX_VALUE, everything(), 10);
		assertThat(inserted).extracting(JobStore.Change::id).containsExactly(first.id(), second.id());
		assertThat(inserted).extracting(JobStore.Change::state).containsOnly(JobState.QUEUED);
		assertThat(inserted.getFirst().labels()).isEqualTo(Map.of("team", "a"));
		assertThat(inserted.getLast().seq()).isEqualTo(afterInserts);

		cancel(first);
		numbered();
		// The first job's latest change replaces its first one, with a higher number.
		List<JobStore.Change> all = store.changesAfter(start, Long.MAX_VALUE, everything(), 10);
		assertThat(all).extracting(JobStore.Change::id).containsExactly(second.id(), first.id());
		assertThat(all.getLast().state()).isEqualTo(JobState.CANCELLED);
		assertThat(all.getLast().finishedAt()).isNotNull();
		assertThat(all.getLast().terminationReason()).isEqualTo(TerminationReason.CANCELLED);
		assertThat(all).extracting(JobStore.Change::seq).isSorted().doesNotHaveDuplicates();
		assertThat(store.changesAfter(afterInserts, Long.MAX_VALUE, everything(), 10)).extracting(JobStore.Change::id)
			.containsExactly(first.id());
		assertThat(store.changesAfter(start, afterInserts, everything(), 10)).extracting(JobStore.Change::id)
			.containsExactly(second.id());
		assertThat(store.changesAfter(start, Long.MAX_VALUE, everything(), 1)).hasSize(1);
		assertThat(store.changesAfter(start, Long.MAX_VALUE,
				new JobStore.Query(JobState.QUEUED, "reports", Map.of("team", "b"), 0, null), 10))
			.extracting(JobStore.Change::id)
			.containsExactly(second.id());
		assertThat(store
			.changesAfter(start, Long.MAX_VALUE, new JobStore.Query(null, null, Map.of("team", "b"), 0, null), 10)
			.stream()
			.filter((change) -> change.id().equals(first.id()))).isEmpty();
		assertThat(store.lastChange()).isEqualTo(all.getLast().seq());
	}

	@Test
	void findsJobsInAStateOldestFirst() {
		Job first = job("process", Map.of());
		Job second = job("process", Map.of());
		Job third = job("process", Map.of());
		for (Job job : List.of(first, second, third)) {
			store.insert(job);
		}
		cancel(second);
		assertThat(store.inState(JobState.QUEUED)).extracting(Job::id).containsExactly(first.id(), third.id());
	}

	@Test
	void deletesOnlyJobsThatFinishedBeforeTheCutoffInBatches() {
		List<Job> old = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			Job job = job("process", Map.of("team", "old"));
			store.insert(job);
			JobFixtures.finish(job, ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED),
					Instant.now().minus(Duration.ofDays(8)));
			store.update(job);
			old.add(job);
		}
		Job recent = job("process", Map.of("team", "old"));
		store.insert(recent);
		cancel(recent);
		Job queued = job("process", Map.of());
		store.insert(queued);

		Instant cutoff = Instant.now().minus(Duration.ofDays(7));
		assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(2);
		assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(2);
		assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(1);
		assertThat(store.deleteFinishedBefore(cutoff, 2)).isZero();
		old.forEach((job) -> assertThat(store.find(job.id())).isEmpty());
		assertThat(store.find(recent.id())).isPresent();
		assertThat(store.find(queued.id())).isPresent();
		assertThat(ids(new JobStore.Query(null, null, Map.of("team", "old"), 10, null))).containsExactly(recent.id());
		assertThat(JdbcClient.create(dataSource).sql("select count(*) from job_label").query(Long.class).single())
			.isEqualTo(1);
	}

	@Test
	void findsAJobByItsIdempotencyKeyWhichNoOtherJobMayTakeUntilTheJobIsDeleted() {
		Job first = keyed("key-1");
		store.insert(first);
		store.insert(job("process", Map.of()));
		store.insert(job("process", Map.of()));
		assertThat(store.findByIdempotencyKey("key-1").orElseThrow().persisted()).isEqualTo(first.persisted())
			.extracting(Job.Persisted::idempotencyKey, Job.Persisted::requestDigest)
			.containsExactly("key-1", "digest-key-1");
		assertThat(store.findByIdempotencyKey("key-2")).isEmpty();

		assertThatExceptionOfType(IdempotencyKeyTakenException.class).isThrownBy(() -> store.insert(keyed("key-1")));
		assertThat(store.writeProblem()).isNull();

		JobFixtures.finish(first, ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED),
				Instant.now().minus(Duration.ofDays(8)));
		store.update(first);
		assertThat(store.findByIdempotencyKey("key-1").orElseThrow().state()).isEqualTo(JobState.CANCELLED);
		assertThat(store.deleteFinishedBefore(Instant.now().minus(Duration.ofDays(7)), 10)).isEqualTo(1);
		assertThat(store.findByIdempotencyKey("key-1")).isEmpty();
		Job second = keyed("key-1");
		store.insert(second);
		assertThat(store.findByIdempotencyKey("key-1").orElseThrow().id()).isEqualTo(second.id());
	}

	@Test
	void ofConcurrentInsertsWithOneIdempotencyKeyExactlyOneIsStored() throws Exception {
		int writers = 8;
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < writers; i++) {
			jobs.add(keyed("shared"));
		}
		java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
		List<java.util.concurrent.Future<Boolean>> stored = new ArrayList<>();
		try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers)) {
			for (Job job : jobs) {
				stored.add(pool.submit(() -> {
					go.await();
					try {
						store.insert(job);
						return true;
					}
					catch (IdempotencyKeyTakenException ex) {
						return false;
					}
				}));
			}
			go.countDown();
			List<Boolean> outcomes = new ArrayList<>();
			for (java.util.concurrent.Future<Boolean> outcome : stored) {
				outcomes.add(outcome.get(1, java.util.concurrent.TimeUnit.MINUTES));
			}
			assertThat(outcomes).containsOnlyOnce(true);
			String winner = jobs.get(outcomes.indexOf(true)).id();
			assertThat(store.findByIdempotencyKey("shared").orElseThrow().id()).isEqualTo(winner);
		}
		assertThat(store.inState(JobState.QUEUED)).hasSize(1);
		assertThat(store.writeProblem()).isNull();
	}

	@Test
	void aWritableStoreReportsNoProblem() {
		assertThat(store.writeProblem()).isNull();
		assertThat(store.probeWrite()).isTrue();
	}

	private Job.Persisted view(String id) {
		return store.find(id).orElseThrow().persisted();
	}

	/** Numbers what is committed (PostgreSQL) and returns the latest number. */
	private long numbered() {
		while (store.sequenceChanges() > 0) {
			// until everything committed has a number
		}
		return store.lastChange();
	}

	private static JobStore.Query everything() {
		return new JobStore.Query(null, null, null, 0, null);
	}

	private void cancel(Job job) {
		JobFixtures.finish(job, ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED), Instant.now());
		store.update(job);
	}

	private List<String> ids(JobStore.Query query) {
		return store.list(query).stream().map(Job::id).toList();
	}

	private static String id(List<Job> jobs, int index) {
		return jobs.get(index).id();
	}

	private static Job keyed(String idempotencyKey) {
		return JobFixtures.newJob("process",
				new JobRequest("process", List.of("/bin/true"), null, null, null, null, null, null, null, null),
				Duration.ofMinutes(5), Instant.now().truncatedTo(ChronoUnit.MICROS), idempotencyKey,
				"digest-" + idempotencyKey);
	}

	private static Job job(String pool, Map<String, String> labels) {
		return JobFixtures.newJob(pool,
				new JobRequest(pool, List.of("/bin/true"), null, null, null, null, null, null, null, labels),
				Duration.ofMinutes(5), Instant.now().truncatedTo(ChronoUnit.MICROS));
	}

}
