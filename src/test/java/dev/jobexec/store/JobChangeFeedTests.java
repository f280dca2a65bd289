package dev.jobexec.store;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.jobexec.job.EventsProperties;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobChangeFeed;
import dev.jobexec.job.JobEvent;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The feed behind the job event stream on a real store (an H2 file with the service's
 * settings) and a ring of 16 changes: a client that keeps up reads every change in order,
 * one that falls further behind than the ring is told so, one that starts further back
 * reads the store until it reaches the ring, and a change stored as the first client
 * subscribes reaches it without waiting for the next poll.
 */
class JobChangeFeedTests {

	@TempDir
	java.nio.file.Path dir;

	private SimpleDriverDataSource dataSource;

	private JdbcJobStore store;

	private JobChangeFeed feed;

	@BeforeEach
	void start() {
		dataSource = new SimpleDriverDataSource(new org.h2.Driver(),
				JobStoreEnvironment.h2Url(dir.resolve("store/jobexec")) + ";DB_CLOSE_DELAY=-1", "sa", "");
		org.flywaydb.core.Flyway.configure().dataSource(dataSource).load().migrate();
		TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		store = new JdbcJobStore(JdbcClient.create(dataSource), transactions, JsonMapper.builder().build(),
				StoreJournal.open(dataSource, transactions, JdbcJobStore.jobColumns(), JdbcJobStore.stateColumns()));
		feed = new JobChangeFeed(store, new EventsProperties(Duration.ofMillis(10), 16, 3));
		feed.start();
	}

	@AfterEach
	void stop() {
		feed.stop();
		store.close();
		JdbcClient.create(dataSource).sql("shutdown immediately").update();
	}

	@Test
	void aClientThatKeepsUpReadsEveryChangeInOrderAndOneThatFallsBehindTheRingIsToldSo() throws Exception {
		long start = store.lastChange();
		JobChangeFeed.Subscription keepsUp = feed.subscribe(null, everything()).orElseThrow();
		JobChangeFeed.Subscription slow = feed.subscribe(null, everything()).orElseThrow();
		assertThat(slow.next(Duration.ofMillis(10))).as("nothing yet").isEmpty();

		List<String> inserted = new ArrayList<>();
		List<String> read = new ArrayList<>();
		for (int i = 0; i < 40; i++) {
			Job job = job(Map.of("n", "" + i));
			store.insert(job);
			inserted.add(job.id());
			if (i % 4 == 3) {
				// Reads while the ring still holds what it has not read.
				Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> feed.head() == store.lastChange());
				keepsUp.next(Duration.ofSeconds(1)).forEach((change) -> read.add(change.id()));
			}
		}
		assertThat(read).isEqualTo(inserted);
		JobChangeFeed.FellBehind behind = org.junit.jupiter.api.Assertions.assertThrows(JobChangeFeed.FellBehind.class,
				() -> slow.next(Duration.ofSeconds(1)));
		assertThat(behind.missed()).isPositive();

		// A client that starts before all of it: from the store, then from the ring.
		JobChangeFeed.Subscription fromStart = feed.subscribe(start, everything()).orElseThrow();
		List<JobStore.Change> caughtUp = new ArrayList<>();
		while (caughtUp.size() < inserted.size()) {
			List<JobStore.Change> next = fromStart.next(Duration.ofSeconds(5));
			assertThat(next).as("after %s", caughtUp.size()).isNotEmpty();
			caughtUp.addAll(next);
		}
		assertThat(caughtUp).extracting(JobStore.Change::id).isEqualTo(inserted);
		assertThat(caughtUp).extracting(JobStore.Change::seq).isSorted();

		assertThat(feed.subscribe(null, everything())).as("a fourth, over jobexec.events.max-subscribers").isEmpty();
		slow.close();
		assertThat(feed.subscribe(null, everything())).isPresent();
	}

	@Test
	void aFilterPassesOverWhatItDoesNotMatchWithoutFallingBehind() throws Exception {
		JobChangeFeed.Subscription labelled = feed
			.subscribe(null, new JobStore.Query(null, null, Map.of("n", "7"), 0, null))
			.orElseThrow();
		for (int i = 0; i < 12; i++) {
			store.insert(job(Map.of("n", "" + i)));
		}
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> feed.head() == store.lastChange());
		List<JobStore.Change> matching = labelled.next(Duration.ofSeconds(1));
		assertThat(matching).extracting((change) -> change.labels().get("n")).containsExactly("7");
		assertThat(labelled.position()).as("passed over the rest").isEqualTo(store.lastChange());
	}

	@Test
	void aChangeOnThisNodeReachesAFollowerAtOnceNotAtTheNextPoll() throws Exception {
		feed.stop();
		// The store is read only when a change wakes the reader, not within the test.
		// (The wake when the first client subscribes has a test of its own, below: here
		// the test's own changes wake the reader too.)
		feed = new JobChangeFeed(store, new EventsProperties(Duration.ofMinutes(10), 16, 3));
		feed.start();
		JobChangeFeed.Subscription follower = feed.subscribe(null, everything()).orElseThrow();
		for (int i = 0; i < 3; i++) {
			Job job = job(Map.of("n", "" + i));
			store.insert(job);
			feed.changed(new JobEvent.Submitted("process"));
			assertThat(follower.next(Duration.ofSeconds(30))).extracting(JobStore.Change::id).containsExactly(job.id());
		}
	}

	@Test
	void aChangeStoredWhileTheFirstClientSubscribesReachesItAtOnceNotAtTheNextPoll() throws Exception {
		feed.stop();
		// The first client's subscription reads the store's latest change and only then
		// counts as following: a change committed between the two woke nobody (nobody
		// followed yet). Here one is committed at exactly that moment, through the real
		// store, as the feed's read of the latest change returns; with a poll interval
		// of 10 minutes only the wake at subscription brings it within the test.
		AtomicReference<Job> storedMeanwhile = new AtomicReference<>();
		AtomicBoolean armed = new AtomicBoolean();
		JobStore storeWithAChangeAtSubscription = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
				new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
					Object result;
					try {
						result = method.invoke(store, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
					if (method.getName().equals("lastChange") && armed.compareAndSet(true, false)) {
						Job job = job(Map.of("n", "meanwhile"));
						store.insert(job);
						storedMeanwhile.set(job);
					}
					return result;
				});
		feed = new JobChangeFeed(storeWithAChangeAtSubscription, new EventsProperties(Duration.ofMinutes(10), 16, 3));
		feed.start();
		armed.set(true);
		JobChangeFeed.Subscription first = feed.subscribe(null, everything()).orElseThrow();
		assertThat(storedMeanwhile.get()).as("a change was stored as the subscription read the latest").isNotNull();
		assertThat(store.lastChange()).as("after the subscription's place").isGreaterThan(first.position());
		assertThat(first.next(Duration.ofSeconds(30))).extracting(JobStore.Change::id)
			.containsExactly(storedMeanwhile.get().id());
	}

	private static JobStore.Query everything() {
		return new JobStore.Query(null, null, null, 0, null);
	}

	private static Job job(Map<String, String> labels) {
		return JobFixtures.newJob("process",
				new JobRequest("process", List.of("/bin/true"), null, null, null, null, null, null, null, labels),
				Duration.ofMinutes(5), Instant.now().truncatedTo(ChronoUnit.MICROS));
	}

}
