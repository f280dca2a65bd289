package dev.jobexec.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;

import javax.sql.DataSource;

import dev.jobexec.job.Job;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.RetryPolicy;
import dev.jobexec.job.StoreUnavailableException;
import dev.jobexec.support.Postgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The job store contract on a real PostgreSQL server. */
class PostgresJobStoreTests extends JobStoreContractTests {

	private String url;

	/**
	 * A new connection for each use, as a pool gives: the store's writers run
	 * concurrently.
	 */
	@Override
	protected DataSource newDataSource() {
		url = Postgres.freshSchemaUrl();
		return new SimpleDriverDataSource(new org.postgresql.Driver(), url, Postgres.USER, Postgres.PASSWORD);
	}

	/**
	 * Cluster mode: a dead node's running job whose retry policy names LOST waits for its
	 * next attempt in the shared queue, and no node claims it before that is due; one
	 * whose policy does not name LOST is lost.
	 */
	@Test
	void aDeadNodesJobThatRetriesLostWaitsUnclaimableUntilItsNextAttemptIsDue() {
		Flyway.configure()
			.dataSource(dataSource)
			.locations("classpath:db/migration", "classpath:db/vendor/postgresql")
			.outOfOrder(true)
			.load()
			.migrate();
		JdbcClient jdbc = JdbcClient.create(dataSource);
		jdbc.sql("insert into node (id, host, host_key, pid, pid_start_ticks, url, pools, state, started_at, "
				+ "renewed_at, lease_expires_at) values ('gone', 'h', 'k', 1, 1, 'http://gone', '[]', 'DEAD', now(), "
				+ "now(), now())")
			.update();
		RetryPolicy lostToo = new RetryPolicy(2, Duration.ofHours(1), Duration.ofHours(1),
				EnumSet.of(JobState.FAILED, JobState.LOST), false);
		Job retried = JobFixtures.newJob("process", request(), Duration.ofMinutes(1), Instant.now(), lostToo);
		Job lost = JobFixtures.newJob("process", request(), Duration.ofMinutes(1), Instant.now(),
				new RetryPolicy(2, Duration.ofSeconds(1), Duration.ofSeconds(1), EnumSet.of(JobState.FAILED), false));
		for (Job job : List.of(retried, lost)) {
			store.insert(job);
			JobFixtures.start(job, 4242L, 1L, "gone", Instant.now());
			store.update(job);
		}

		Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
		JobStore.Settled settled = store.settleJobsOfDeadNodes(at);

		assertThat(settled.lost()).extracting(Job::id).containsExactly(lost.id());
		assertThat(settled.retried()).singleElement().satisfies((entry) -> {
			assertThat(entry.running().id()).isEqualTo(retried.id());
			assertThat(entry.running().pid()).as("the lost attempt's process, to be killed").isEqualTo(4242L);
			assertThat(entry.nextAttemptAt()).isEqualTo(at.plus(Duration.ofHours(1)));
		});
		Job.Persisted waiting = store.find(retried.id()).orElseThrow().persisted();
		assertThat(waiting.state()).isEqualTo(JobState.QUEUED);
		assertThat(waiting.instance()).isNull();
		assertThat(waiting.attempt()).isEqualTo(2);
		assertThat(waiting.attempts()).singleElement().satisfies((attempt) -> {
			assertThat(attempt.state()).isEqualTo(JobState.LOST);
			assertThat(attempt.node()).isEqualTo("gone");
			assertThat(attempt.error()).contains("(gone) died");
		});
		assertThat(store.claim("live", "process", 10)).as("not due for an hour").isEmpty();
		assertThat(store.settleJobsOfDeadNodes(Instant.now()).isEmpty()).as("settled once").isTrue();

		jdbc.sql("update job set next_attempt_at = now() - interval '1 second' where id = ?")
			.param(retried.id())
			.update();
		assertThat(store.claim("live", "process", 10)).extracting(Job::id).containsExactly(retried.id());
	}

	private static JobRequest request() {
		return new JobRequest("process", List.of("/bin/true"), null, null, null, null, null, null, null, null);
	}

	@Test
	void aStoreThatCannotBeWrittenSaysSoAndRecoversWhenItCanAgain() throws SQLException {
		Job job = JobFixtures.newJob("process",
				new JobRequest(null, List.of("/bin/true"), null, null, null, null, null, null, null, null),
				Duration.ofMinutes(1), Instant.now());
		// One connection, so that a session setting made here applies to the store's
		// writes.
		SingleConnectionDataSource single = new SingleConnectionDataSource(url, Postgres.USER, Postgres.PASSWORD, true);
		single.setAutoCommit(true);
		JdbcJobStore store = new JdbcJobStore(JdbcClient.create(single),
				new TransactionTemplate(new DataSourceTransactionManager(single)), JsonMapper.builder().build());
		try (Connection connection = single.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("set default_transaction_read_only = on");
			assertThatExceptionOfType(StoreUnavailableException.class).isThrownBy(() -> store.insert(job));
			assertThat(store.writeProblem()).contains("read-only");
			assertThat(store.probeWrite()).isFalse();

			statement.execute("set default_transaction_read_only = off");
			assertThat(store.probeWrite()).isTrue();
			assertThat(store.writeProblem()).isNull();
			store.insert(job);
			assertThat(store.find(job.id())).isPresent();
		}
		finally {
			single.destroy();
		}
	}

}
