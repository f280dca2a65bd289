package dev.jobexec.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import dev.jobexec.job.Job;
import dev.jobexec.job.JobFixtures;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.StoreUnavailableException;
import dev.jobexec.support.Postgres;
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
