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

	/**
	 * The URL of the embedded store in {@code file}.
	 * <ul>
	 * <li>DB_CLOSE_ON_EXIT=FALSE: H2 must not close the store in its own shutdown hook
	 * while the service is still draining jobs and writing their final states.</li>
	 * <li>retry: H2 on a plain FileChannel closes the whole database when a thread is
	 * interrupted during file I/O, and job threads are interrupted by design (timeouts,
	 * cancels); this file system reopens the channel instead.</li>
	 * <li>WRITE_DELAY: H2 never writes its file by itself. What makes each write durable
	 * before it returns is the store's journal ({@link StoreJournal}); its checkpoint has
	 * H2 write everything at once, compressed, while no write is under way. H2's own
	 * background writer stores its maps one after the other while transactions commit,
	 * and a crash just after could leave a committed row marked as its transaction's with
	 * no undo log to settle it: a row its index points to that no read finds ("Row not
	 * found in primary index" at the next start). With WRITE_DELAY=0 every commit wrote a
	 * chunk of its own: about 100 KB per job.</li>
	 * <li>AUTO_COMPACT_FILL_RATE=0: H2's own housekeeping (its background thread, which
	 * WRITE_DELAY only puts to sleep for days) compacts nothing, since that stores too;
	 * the journal compacts in the writers' turn.</li>
	 * <li>COMPRESS=TRUE: pages are written compressed (LZF), a third of the bytes.</li>
	 * <li>RETENTION_TIME=5000: freed space is reused after 5 s instead of 45 s, which
	 * bounds the file under load; 45 s covers a disk that has not written what it was
	 * given, and the checkpoints fsync the file every second.</li>
	 * </ul>
	 */
	static String h2Url(Path file) {
		return "jdbc:h2:retry:" + file + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=" + Integer.MAX_VALUE
				+ ";AUTO_COMPACT_FILL_RATE=0;COMPRESS=TRUE;RETENTION_TIME=5000";
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
		environment.getPropertySources()
			.addLast(new MapPropertySource("jobexecStore", Map.of("spring.datasource.url", h2Url(file),
					"spring.datasource.username", "sa", "spring.datasource.password", "")));
	}

}
