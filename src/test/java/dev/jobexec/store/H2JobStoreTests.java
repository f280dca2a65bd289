package dev.jobexec.store;

import java.nio.file.Path;

import javax.sql.DataSource;

import org.junit.jupiter.api.io.TempDir;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/** The job store contract on the embedded default: an H2 file. */
class H2JobStoreTests extends JobStoreContractTests {

	@TempDir
	Path dir;

	@Override
	protected DataSource newDataSource() {
		return new SimpleDriverDataSource(new org.h2.Driver(),
				"jdbc:h2:file:" + dir.resolve("store/jobexec") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "");
	}

}
