package dev.jobexec.job;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import dev.jobexec.support.Postgres;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The job store contract on a real PostgreSQL server. */
class PostgresJobStoreTests extends JobStoreContractTests {

	@Override
	protected DataSource newDataSource() {
		SingleConnectionDataSource dataSource = new SingleConnectionDataSource(Postgres.freshSchemaUrl(), Postgres.USER,
				Postgres.PASSWORD, true);
		dataSource.setAutoCommit(true);
		return dataSource;
	}

	@Test
	void aStoreThatCannotBeWrittenSaysSoAndRecoversWhenItCanAgain() throws SQLException {
		Job job = new Job(JobIds.next(), "process", new JobRequest(null, List.of("/bin/true"), null, null, null, null,
				null, null, null, null), Duration.ofMinutes(1), Instant.now());
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
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
	}

}
