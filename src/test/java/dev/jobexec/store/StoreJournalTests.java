package dev.jobexec.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.sql.DataSource;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.StoreUnavailableException;
import org.awaitility.Awaitility;
import org.flywaydb.core.Flyway;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The embedded store's journal on a real H2 file with the service's settings, under which
 * H2 does not write its file on its own, and "a crash" is H2's
 * {@code SHUTDOWN IMMEDIATELY}, which drops everything H2 has not written, as a SIGKILL
 * of the service does. What a write returned for must come back from the journal,
 * exactly, however much of it the file already holds.
 */
class StoreJournalTests {

	@TempDir
	Path dir;

	private final List<DataSource> opened = new ArrayList<>();

	@AfterEach
	void shutDown() {
		for (DataSource dataSource : opened) {
			try {
				JdbcClient.create(dataSource).sql("shutdown immediately").update();
			}
			catch (RuntimeException alreadyClosed) {
				// closed by the test
			}
		}
	}

	@Test
	void everyAnsweredWriteComesBackAfterACrashThoughTheFileHoldsNoneOfThem() throws IOException {
		DataSource first = dataSource();
		JdbcJobStore store = store(first);
		List<Job> jobs = writeLifecycles(store, 30);
		Job deleted = jobs.getFirst();
		store.deleteFinishedBefore(deleted.persisted().finishedAt().plusNanos(1000), 1);
		crash(first);

		DataSource second = dataSource();
		assertThat(count(second)).as("jobs H2 wrote to its file by itself").isZero();
		JdbcJobStore restarted = store(second);
		assertThat(restarted.find(deleted.id())).isEmpty();
		for (Job job : jobs.subList(1, jobs.size())) {
			assertThat(restarted.find(job.id()).orElseThrow().persisted()).isEqualTo(job.persisted());
		}
		assertThat(restarted.list(new JobStore.Query(null, null, Map.of("batch", "b7"), 100, null))).extracting(Job::id)
			.containsExactly(jobs.get(7).id());
		assertThat(segments()).as("the replayed journal, checkpointed into the file and deleted").hasSize(1);
	}

	@Test
	void replayingOverAFileThatAlreadyHoldsLaterChangesEndsInTheSameState() throws IOException {
		DataSource first = dataSource();
		JdbcJobStore store = store(first);
		List<Job> jobs = writeLifecycles(store, 5);
		Job keyed = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now(), "key-1", "digest-1");
		store.insert(keyed);
		store.deleteFinishedBefore(Instant.now().plusSeconds(1), 100);
		Job reused = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now(), "key-1",
				"digest-2");
		// The key's first job finishes and is deleted, and a new job takes the key: the
		// file holds only the new one, the journal the whole story.
		JobFixtures.start(keyed, 1L, null, "instance-1", now());
		store.update(keyed);
		JobFixtures.finish(keyed, succeeded(), now());
		store.update(keyed);
		store.deleteFinishedBefore(Instant.now().plusSeconds(1), 100);
		store.insert(reused);
		JdbcClient.create(first).sql("checkpoint").update();
		crash(first);

		JdbcJobStore restarted = store(dataSource());
		for (Job job : jobs) {
			assertThat(restarted.find(job.id())).isEmpty();
		}
		assertThat(restarted.find(keyed.id())).isEmpty();
		assertThat(restarted.findByIdempotencyKey("key-1").orElseThrow().persisted()).isEqualTo(reused.persisted());
	}

	@Test
	void aCheckpointWritesTheFileAndDeletesTheJournalItCovers() throws IOException {
		DataSource first = dataSource();
		JdbcJobStore store = store(first);
		List<Job> jobs = writeLifecycles(store, 10);
		long appended = store.journal().orElseThrow().appendedBytes();
		assertThat(appended).as("30 records of small jobs").isBetween(30L * 100, 30L * 2000);
		store.checkpoint();
		assertThat(segments()).hasSize(1);
		assertThat(Files.size(segments().getFirst())).as("the new segment: its header only").isLessThan(1024);
		crash(first);

		DataSource second = dataSource();
		assertThat(count(second)).as("jobs in the file, without a replay").isEqualTo(jobs.size());
	}

	@Test
	void h2WritesItsFileOnlyAtACheckpointAndOnlyWhileNoWriteIsUnderWay() throws Exception {
		DataSource dataSource = dataSource();
		JdbcJobStore store = store(dataSource);
		store.checkpoint();
		MVStore file = mvStore(dataSource);
		writeLifecycles(store, 3);
		// H2's own writer stores what is committed within half a second by default.
		Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(file::hasUnsavedChanges);

		// The checkpoint runs its part in the writers' turn (the group commit's lock,
		// held
		// from a write's first statement to its commit) through this argument.
		long[] versions = new long[2];
		store.journal().orElseThrow().checkpoint((turn) -> {
			versions[0] = file.getCurrentVersion();
			turn.run();
			versions[1] = file.getCurrentVersion();
		});
		assertThat(versions[1]).as("a store taken while no write could be under way").isGreaterThan(versions[0]);
		assertThat(file.hasUnsavedChanges()).as("and written before the checkpoint returned").isFalse();
	}

	@Test
	void aRecordCutShortByACrashIsDroppedAndTheRecordsBeforeItKept() throws IOException {
		DataSource first = dataSource();
		JdbcJobStore store = store(first);
		List<Job> jobs = writeLifecycles(store, 3);
		crash(first);
		Path last = segments().getLast();
		// The start of a record: its length, a checksum, and fewer bytes than the length.
		Files.write(last, new byte[] { 0, 0, 1, 0, 1, 2, 3, 4, 9, 9 }, StandardOpenOption.APPEND);

		JdbcJobStore restarted = store(dataSource());
		for (Job job : jobs) {
			assertThat(restarted.find(job.id()).orElseThrow().persisted()).isEqualTo(job.persisted());
		}
	}

	@Test
	void aDamagedSegmentFollowedByAnotherStopsTheStartWithTheFix() throws IOException {
		DataSource first = dataSource();
		JdbcJobStore store = store(first);
		writeLifecycles(store, 3);
		Path damaged = segments().getLast();
		// A checkpoint that starts a new segment and fails before it deletes any.
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> store.journal().orElseThrow().checkpoint((rotation) -> {
				rotation.run();
				throw new IllegalStateException("crash");
			}));
		crash(first);
		byte[] bytes = Files.readAllBytes(damaged);
		bytes[bytes.length - 3] ^= 0x5a;
		Files.write(damaged, bytes);

		DataSource second = dataSource();
		Flyway.configure().dataSource(second).load().migrate();
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> store(second))
			.withMessageContaining(damaged.toString())
			.withMessageContaining("is damaged")
			.withMessageContaining("move the journal directory aside");
	}

	@Test
	void aDatabaseH2ReopenedAfterAFailureGetsTheJournalReplayedAtTheNextCheckpoint() {
		DataSource dataSource = dataSource();
		JdbcJobStore store = store(dataSource);
		List<Job> jobs = writeLifecycles(store, 5);
		// What H2 does when it cannot write its file: it closes the database without
		// writing, and the next connection opens it again from the file.
		crash(dataSource);
		assertThat(count(dataSource)).isZero();

		store.checkpoint();
		for (Job job : jobs) {
			assertThat(store.find(job.id()).orElseThrow().persisted()).isEqualTo(job.persisted());
		}
	}

	/**
	 * A pool that hands out a connection of the closed database (as Hikari does for a
	 * connection used in the last half second): the checkpoint must see that nothing can
	 * be written and keep the journal, not take a quiet no-op for a store.
	 */
	@Test
	void aCheckpointOfADatabaseH2ClosedUnderAPooledConnectionFailsAndKeepsTheJournal() throws Exception {
		DataSource file = dataSource();
		SingleConnectionDataSource pooled = new SingleConnectionDataSource(file.getConnection(), true);
		JdbcJobStore store = store(pooled);
		List<Job> jobs = writeLifecycles(store, 4);
		List<Path> written = segments();
		// What H2 does after an OutOfMemoryError in a statement: the store closes,
		// nothing
		// written.
		try (Connection connection = pooled.getConnection()) {
			((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getDatabase().shutdownImmediately();
		}

		assertThatExceptionOfType(RuntimeException.class).isThrownBy(store::checkpoint);
		assertThat(segments()).as("the journal kept").containsAll(written);
		pooled.destroy();
		JdbcJobStore reopened = store(dataSource());
		for (Job job : jobs) {
			assertThat(reopened.find(job.id()).orElseThrow().persisted()).as("replayed when the store opens again")
				.isEqualTo(job.persisted());
		}
	}

	@Test
	void aJournalThatCannotBeWrittenFailsTheWriteWhichLeavesNoTrace() {
		JdbcJobStore store = store(dataSource());
		store.journal().orElseThrow().close();
		Job job = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now());

		assertThatExceptionOfType(StoreUnavailableException.class).isThrownBy(() -> store.insert(job))
			.withMessageContaining("cannot write the store journal");
		assertThat(store.find(job.id())).as("rolled back").isEmpty();
		assertThat(store.writeProblem()).contains("cannot write the store journal");
		assertThat(store.probeWrite()).isFalse();
	}

	@Test
	void aTransactionWhoseCommitFailsTakesItsRecordsBackOutOfTheJournal() throws IOException {
		DataSource real = dataSource();
		boolean[] failNextCommit = { false };
		// The real database, whose commit fails once when told to: what H2 does when its
		// database is closed under a transaction.
		DataSource failing = (DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { DataSource.class }, (proxy, method, args) -> {
					Object result = method.invoke(real, args);
					if (!(result instanceof java.sql.Connection connection)) {
						return result;
					}
					return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
							new Class<?>[] { java.sql.Connection.class }, (p, m, a) -> {
								if (m.getName().equals("commit") && failNextCommit[0]) {
									failNextCommit[0] = false;
									throw new java.sql.SQLException("commit failed");
								}
								try {
									return m.invoke(connection, a);
								}
								catch (java.lang.reflect.InvocationTargetException ex) {
									throw ex.getCause();
								}
							});
				});
		JdbcJobStore store = store(failing);
		Job kept = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now());
		store.insert(kept);
		long size = Files.size(segments().getLast());
		Job refused = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now());
		failNextCommit[0] = true;
		assertThatExceptionOfType(StoreUnavailableException.class).isThrownBy(() -> store.insert(refused));
		assertThat(Files.size(segments().getLast())).as("the journal after the failed commit").isEqualTo(size);
		Job after = JobFixtures.newJob("process", request(Map.of()), Duration.ofMinutes(1), now());
		store.insert(after);
		crash(real);

		JdbcJobStore restarted = store(dataSource());
		assertThat(restarted.find(refused.id())).as("answered 503, so never stored").isEmpty();
		assertThat(restarted.find(kept.id())).isPresent();
		assertThat(restarted.find(after.id())).isPresent();
	}

	@Test
	void twoStoresOnOneDatabaseInOneJvmShareOneJournalAndItsLock() throws IOException {
		DataSource dataSource = dataSource();
		JdbcJobStore one = store(dataSource);
		JdbcJobStore other = store(dataSource);
		assertThat(one.journal().orElseThrow()).isSameAs(other.journal().orElseThrow());
		List<Job> jobs = new ArrayList<>(writeLifecycles(one, 3));
		one.close();
		jobs.addAll(writeLifecycles(other, 3));
		assertThat(segments()).hasSize(1);
		crash(dataSource);

		JdbcJobStore restarted = store(dataSource());
		for (Job job : jobs) {
			assertThat(restarted.find(job.id()).orElseThrow().persisted()).isEqualTo(job.persisted());
		}
	}

	/** Each job inserted, started and finished, with a label and some output. */
	private List<Job> writeLifecycles(JdbcJobStore store, int count) {
		List<Job> jobs = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			Job job = JobFixtures.newJob("process", request(Map.of("batch", "b" + i)), Duration.ofMinutes(1), now());
			store.insert(job);
			JobFixtures.start(job, 1000L + i, 4242L, "instance-1", now());
			store.update(job);
			JobFixtures.finish(job, succeeded(), now());
			store.update(job);
			jobs.add(job);
		}
		return jobs;
	}

	private static ExecutionOutcome succeeded() {
		return new ExecutionOutcome(ExecutionOutcome.Status.SUCCEEDED, 0, null, null, null,
				new CapturedOutput("ünïcode out\n", 13, false), new CapturedOutput("", 0, false), null,
				new ResourceUsage(Duration.ofMillis(3), Duration.ofMillis(1), 1_048_576L, 1L, ResourceUsage.CGROUP));
	}

	private static JobRequest request(Map<String, String> labels) {
		return new JobRequest("process", List.of("/bin/echo", "hello"), null, null, null, Map.of("A", "b"), null,
				Duration.ofMinutes(1), false, labels);
	}

	private static Instant now() {
		return Instant.now().truncatedTo(ChronoUnit.MICROS);
	}

	/**
	 * The same H2 file each time, with the service's settings (its file system, "retry:",
	 * is a prefix the journal's directory must not carry); H2 keeps its database open
	 * between connections and writes its file only when told to (or when it closes
	 * normally).
	 */
	private DataSource dataSource() {
		DataSource dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
				JobStoreEnvironment.h2Url(dir.resolve("store/jobexec")) + ";DB_CLOSE_DELAY=-1", "sa", "");
		opened.add(dataSource);
		return dataSource;
	}

	private static JdbcJobStore store(DataSource dataSource) {
		Flyway.configure().dataSource(dataSource).load().migrate();
		TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		return new JdbcJobStore(JdbcClient.create(dataSource), transactions, JsonMapper.builder().build(),
				StoreJournal.open(dataSource, transactions, JdbcJobStore.jobColumns(), JdbcJobStore.stateColumns()));
	}

	private static MVStore mvStore(DataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection()) {
			return ((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getDatabase()
				.getStore()
				.getMvStore();
		}
	}

	private static void crash(DataSource dataSource) {
		JdbcClient.create(dataSource).sql("shutdown immediately").update();
	}

	private static int count(DataSource dataSource) {
		Flyway.configure().dataSource(dataSource).load().migrate();
		return JdbcClient.create(dataSource).sql("select count(*) from job").query(Integer.class).single();
	}

	private List<Path> segments() throws IOException {
		try (Stream<Path> files = Files.list(dir.resolve("store/jobexec.journal"))) {
			return files.sorted().toList();
		}
	}

}
