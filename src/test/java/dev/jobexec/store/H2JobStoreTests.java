package dev.jobexec.store;

import java.nio.file.Path;

import javax.sql.DataSource;

import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job store contract on the embedded default: an H2 file, written through its
 * journal.
 */
class H2JobStoreTests extends JobStoreContractTests {

	@TempDir
	Path dir;

	@Override
	protected DataSource newDataSource() {
		return new SimpleDriverDataSource(new org.h2.Driver(),
				"jdbc:h2:file:" + dir.resolve("store/jobexec") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "");
	}

	@Override
	protected JdbcJobStore newStore(DataSource dataSource, TransactionTemplate transactions) {
		JdbcJobStore store = new JdbcJobStore(JdbcClient.create(dataSource), transactions, JsonMapper.builder().build(),
				StoreJournal.open(dataSource, transactions, JdbcJobStore.jobColumns(), JdbcJobStore.stateColumns()));
		assertThat(store.journal()).isPresent();
		return store;
	}

}
