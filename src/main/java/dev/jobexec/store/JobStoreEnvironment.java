package dev.jobexec.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.jobexec.execution.ExecutionProperties;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Points the job store at an embedded H2 file under {@code jobexec.data-dir} unless
 * {@code spring.datasource.url} names another database, so that the service needs no
 * database server to run.
 */
class JobStoreEnvironment implements EnvironmentPostProcessor {

	/** The H2 file, without H2's {@code .mv.db} suffix. */
	static Path h2File(String dataDir) {
		return Path.of(dataDir).toAbsolutePath().normalize().resolve("store").resolve("jobexec");
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (environment.containsProperty("spring.datasource.url")) {
			return;
		}
		Path file = h2File(environment.getProperty("jobexec.data-dir", ExecutionProperties.DEFAULT_DATA_DIR));
		try {
			Files.createDirectories(file.getParent());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot create the job store directory " + file.getParent()
					+ " (set jobexec.data-dir to a writable directory)", ex);
		}
		// DB_CLOSE_ON_EXIT=FALSE: H2 must not close the store in its own shutdown hook
		// while the service is still draining jobs and writing their final states.
		// retry: H2 on a plain FileChannel closes the whole database when a thread is
		// interrupted during file I/O, and job threads are interrupted by design
		// (timeouts, cancels); this file system reopens the channel instead.
		// H2 writes committed changes to its file in the background (WRITE_DELAY, 500 ms
		// by default), many commits in one chunk; what makes each write durable before
		// it returns is the store's journal (StoreJournal). With WRITE_DELAY=0 every
		// commit wrote a chunk of its own: about 100 KB per job.
		// COMPRESS=TRUE: pages are written compressed (LZF), a third of the bytes.
		// RETENTION_TIME=5000: freed space is reused after 5 s instead of 45 s, which
		// bounds
		// the file under load; 45 s covers a disk that has not written what it was given,
		// and the checkpoints fsync the file every second (StoreJournal#checkpoint).
		environment.getPropertySources()
			.addLast(new MapPropertySource("jobexecStore",
					Map.of("spring.datasource.url",
							"jdbc:h2:retry:" + file + ";DB_CLOSE_ON_EXIT=FALSE;COMPRESS=TRUE;RETENTION_TIME=5000",
							"spring.datasource.username", "sa", "spring.datasource.password", "")));
	}

}
