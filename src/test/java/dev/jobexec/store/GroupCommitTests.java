package dev.jobexec.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Group commit on a real (in-memory H2) database: every write is committed and visible
 * when its caller returns, writes that arrive together share a transaction, and a write
 * that fails, even with an Error, fails alone without holding up the others.
 */
class GroupCommitTests {

	private static final Duration DEADLINE = Duration.ofSeconds(10);

	private DataSource dataSource;

	private JdbcClient jdbc;

	private GroupCommit groupCommit;

	/** The transaction each statement ran in, by write. */
	private final Map<Integer, List<Object>> transactionsOf = new ConcurrentHashMap<>();

	@BeforeEach
	void createStore() {
		this.dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
				"jdbc:h2:mem:group-commit-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
		this.jdbc = JdbcClient.create(dataSource);
		this.jdbc.sql("create table write_log (id int primary key, writer varchar(64) not null)").update();
		this.groupCommit = new GroupCommit(new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
	}

	@AfterEach
	void dropStore() {
		jdbc.sql("shutdown").update();
	}

	@Test
	void concurrentWritersAreAllCommittedAndEachReturnsOnlyOnceItsWriteIsVisible() throws Exception {
		int writers = 8;
		int writesEach = 40;
		List<String> notVisibleOnReturn = new CopyOnWriteArrayList<>();
		List<FutureTask<Void>> tasks = new ArrayList<>();
		for (int writer = 0; writer < writers; writer++) {
			int first = writer * writesEach;
			tasks.add(start("writer-" + writer, () -> {
				for (int id = first; id < first + writesEach; id++) {
					groupCommit.run(insert(id));
					if (!isVisible(id)) {
						notVisibleOnReturn.add("write " + id);
					}
				}
			}));
		}
		for (FutureTask<Void> task : tasks) {
			task.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		}
		assertThat(notVisibleOnReturn).isEmpty();
		assertThat(committedIds()).containsExactlyElementsOf(IntStream.range(0, writers * writesEach).boxed().toList());
	}

	@Test
	void writersThatArriveDuringACommitShareTheNextTransaction() throws Exception {
		List<FutureTask<Void>> batch = new ArrayList<>();
		try (HeldCommit held = holdACommit()) {
			for (int id = 1; id <= 5; id++) {
				batch.add(startWaiting("writer-" + id, insert(id)));
			}
		}
		for (FutureTask<Void> write : batch) {
			write.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		}
		assertThat(committedIds()).containsExactly(0, 1, 2, 3, 4, 5);
		assertThat(IntStream.rangeClosed(1, 5).mapToObj((id) -> transactionsOf.get(id).getFirst()).distinct())
			.as("one transaction for the five writes")
			.hasSize(1);
	}

	@Test
	void aFailingWriteFailsAloneAndTheOthersInItsBatchCommit() throws Exception {
		jdbc.sql("insert into write_log (id, writer) values (42, 'before')").update();
		List<FutureTask<Void>> good = new ArrayList<>();
		FutureTask<Void> duplicate;
		try (HeldCommit held = holdACommit()) {
			good.add(startWaiting("writer-1", insert(1)));
			good.add(startWaiting("writer-2", insert(2)));
			duplicate = startWaiting("duplicate", insert(42));
			good.add(startWaiting("writer-3", insert(3)));
		}
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> duplicate.get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
			.withCauseInstanceOf(DuplicateKeyException.class);
		for (FutureTask<Void> write : good) {
			write.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		}
		assertThat(committedIds()).containsExactly(0, 1, 2, 3, 42);
		assertThat(jdbc.sql("select writer from write_log where id = 42").query(String.class).single())
			.isEqualTo("before");
		assertThat(transactionsOf.get(42)).as("tried in the batch, then alone").hasSize(2);
		assertThat(transactionsOf.get(1).getFirst()).as("the duplicate was in the same batch")
			.isSameAs(transactionsOf.get(42).getFirst());
	}

	@Test
	void anErrorInAWriteDoesNotLeaveTheOthersWaiting() throws Exception {
		List<FutureTask<Void>> batch = new ArrayList<>();
		try (HeldCommit held = holdACommit()) {
			batch.add(startWaiting("writer-1", insert(1)));
			batch.add(startWaiting("erring", () -> {
				insert(2).run();
				throw new WriteError();
			}));
			batch.add(startWaiting("writer-3", insert(3)));
		}
		List<Throwable> failures = new ArrayList<>();
		for (FutureTask<Void> write : batch) {
			try {
				write.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
			}
			catch (ExecutionException ex) {
				failures.add(ex.getCause());
			}
		}
		// The transaction the Error broke is rolled back, and every caller in it hears of
		// it: one gets the Error itself, the others a failure of their own.
		assertThat(failures).hasSize(3);
		assertThat(failures).filteredOn(WriteError.class::isInstance).hasSize(1);
		assertThat(committedIds()).containsExactly(0);

		groupCommit.run(insert(4));
		assertThat(committedIds()).containsExactly(0, 4);
	}

	@Test
	void aWriteThatThrowsAloneGetsItsOwnException() {
		IllegalStateException refused = new IllegalStateException("refused by the write");
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> groupCommit.run(() -> {
			insert(1).run();
			throw refused;
		})).isSameAs(refused);
		assertThat(committedIds()).isEmpty();
		groupCommit.run(insert(2));
		assertThat(committedIds()).containsExactly(2);
	}

	private Runnable insert(int id) {
		return () -> {
			transactionsOf.computeIfAbsent(id, (key) -> new CopyOnWriteArrayList<>())
				.add(TransactionSynchronizationManager.getResource(dataSource));
			jdbc.sql("insert into write_log (id, writer) values (?, ?)")
				.params(id, Thread.currentThread().getName())
				.update();
		};
	}

	private boolean isVisible(int id) {
		return jdbc.sql("select count(*) from write_log where id = ?").param(id).query(Integer.class).single() == 1;
	}

	private List<Integer> committedIds() {
		return jdbc.sql("select id from write_log order by id").query(Integer.class).list();
	}

	/**
	 * Starts a commit (of write 0) and holds it open, so that the writers started until
	 * it is closed queue up behind it and are committed together.
	 */
	private HeldCommit holdACommit() throws InterruptedException {
		CountDownLatch inside = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		FutureTask<Void> holder = start("holder", () -> groupCommit.run(() -> {
			insert(0).run();
			inside.countDown();
			awaitLatch(release);
		}));
		assertThat(inside.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("the held commit started").isTrue();
		return new HeldCommit(holder, release);
	}

	/**
	 * Starts a writer and returns once it waits for the commit lock, which it takes only
	 * after it queued its write.
	 */
	private FutureTask<Void> startWaiting(String name, Runnable sql) {
		FutureTask<Void> task = new FutureTask<>(() -> groupCommit.run(sql), null);
		Thread thread = Thread.ofPlatform().name("group-commit-tests-" + name).daemon(true).start(task);
		await().atMost(DEADLINE)
			.pollInterval(Duration.ofMillis(1))
			.until(() -> thread.getState() == Thread.State.WAITING);
		return task;
	}

	private static FutureTask<Void> start(String name, Runnable body) {
		FutureTask<Void> task = new FutureTask<>(body, null);
		Thread.ofPlatform().name("group-commit-tests-" + name).daemon(true).start(task);
		return task;
	}

	private static void awaitLatch(CountDownLatch latch) {
		try {
			if (!latch.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("never released");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** An Error, as a write could raise one (a StackOverflowError, say). */
	private static final class WriteError extends Error {

		WriteError() {
			super("raised by the write");
		}

	}

	/** A commit held open by a writer until it is closed. */
	private record HeldCommit(FutureTask<Void> holder, CountDownLatch release) implements AutoCloseable {

		@Override
		public void close() throws Exception {
			release.countDown();
			holder.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		}

	}

}
