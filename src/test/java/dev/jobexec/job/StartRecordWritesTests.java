package dev.jobexec.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.jobexec.support.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the store writes for a process job that ends at once, counted in the embedded
 * store's journal (each write appends a record that names the job; with checkpoints an
 * hour apart, nothing is cut from it meanwhile): its submission, then one write for its
 * start and its end together when it ended within {@code start-record-delay}, or two
 * without the delay.
 */
class StartRecordWritesTests {

	@TempDir
	Path dir;

	@Test
	void aJobThatEndsWithinTheDelayIsStoredOnceAfterItsSubmission() throws Exception {
		assertThat(writesAfterSubmission(dir.resolve("delayed"), "1s")).isEqualTo(1);
	}

	@Test
	void withoutTheDelayItsStartIsStoredOnItsOwn() throws Exception {
		assertThat(writesAfterSubmission(dir.resolve("at-once"), "0s")).isEqualTo(2);
	}

	/**
	 * Runs {@code /bin/true} with this delay; the journal records naming it, less one.
	 */
	private long writesAfterSubmission(Path home, String delay) throws Exception {
		Files.createDirectories(home);
		try (ServiceProcess service = ServiceProcess.start(home, List.of(),
				"--jobexec.process.start-record-delay=" + delay, "--jobexec.store.checkpoint-interval=1h")) {
			String id = service.api().submitId("{\"command\":[\"/bin/true\"]}");
			assertThat(service.api().awaitEnd(id)).containsEntry("state", "SUCCEEDED")
				.containsKey("pid")
				.containsKey("startedAt");
			return occurrences(home.resolve("data/store/jobexec.journal"), id) - 1;
		}
	}

	private static long occurrences(Path journal, String id) throws IOException {
		byte[] needle = id.getBytes(StandardCharsets.US_ASCII);
		long found = 0;
		try (Stream<Path> files = Files.list(journal)) {
			for (Path file : files.toList()) {
				byte[] bytes = Files.readAllBytes(file);
				for (int i = 0; i + needle.length <= bytes.length; i++) {
					if (java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
						found++;
					}
				}
			}
		}
		return found;
	}

}
