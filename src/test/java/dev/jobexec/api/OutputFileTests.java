package dev.jobexec.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.jobexec.execution.OutputFiles;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process job's output kept whole in a file and served with Range, over real HTTP, on a
 * real file system: the output directory is a 4 MB tmpfs of its own, so that a full disk
 * is a real one. Files keep up to 1 MB per stream here. The context is closed after the
 * class: its reaper would otherwise reap the shared context's orphans, which the reaper
 * tests count.
 */
@JobexecHttpTest
@TestPropertySource(properties = "jobexec.process.max-output-file=1MB")
@DirtiesContext
class OutputFileTests {

	private static final long LIMIT = 1 << 20;

	private static Path dataDir;

	private static Path outputDir;

	@Autowired
	Api api;

	@Autowired
	OutputFiles outputFiles;

	@DynamicPropertySource
	static void smallDisk(DynamicPropertyRegistry registry) throws Exception {
		dataDir = Files.createTempDirectory("jobexec-output-files");
		outputDir = Files.createDirectories(dataDir.resolve("output"));
		String reason = null;
		if (!ProcessTable.runsAsRoot()) {
			reason = "the tests do not run as root";
		}
		else if (run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", outputDir.toString()) != 0) {
			reason = "mount -t tmpfs failed";
		}
		if (reason != null) {
			if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_CGROUPS"))) {
				throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_CGROUPS is set)");
			}
			Assumptions.abort(reason + "; the full-disk test needs root to mount a tmpfs");
		}
		registry.add("jobexec.data-dir", dataDir::toString);
	}

	@AfterAll
	static void unmount() throws Exception {
		if (outputDir != null) {
			run("umount", "-l", outputDir.toString());
		}
	}

	@Test
	void aJobsWholeOutputIsServedFromItsFileAndARangeIsAnsweredWithThatPart() {
		byte[] expected = seq(100_000);
		Map<String, Object> job = api.awaitEnd(api.submitId("{\"command\":[\"/usr/bin/seq\",\"1\",\"100000\"]}"));
		Map<String, Object> stdout = Api.map(job.get("stdout"));
		assertThat(stdout).containsEntry("bytes", expected.length)
			.containsEntry("kept", expected.length)
			.doesNotContainKey("keptError");

		byte[] whole = api.client()
			.get()
			.uri("/api/v1/jobs/{id}/stdout", job.get("id"))
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
		assertThat(whole).isEqualTo(expected);

		var part = api.client()
			.get()
			.uri("/api/v1/jobs/{id}/stdout", job.get("id"))
			.header("Range", "bytes=300000-300099")
			.exchange()
			.expectStatus()
			.isEqualTo(HttpStatus.PARTIAL_CONTENT)
			.expectHeader()
			.valueEquals("Content-Range", "bytes 300000-300099/" + expected.length)
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
		assertThat(new String(part, StandardCharsets.US_ASCII))
			.isEqualTo(new String(expected, 300_000, 100, StandardCharsets.US_ASCII));

		api.client()
			.get()
			.uri("/api/v1/jobs/{id}/stdout", job.get("id"))
			.header("Range", "bytes=" + (expected.length + 10) + "-")
			.exchange()
			.expectStatus()
			.isEqualTo(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
	}

	@Test
	void aFileKeepsTheStreamUpToItsLimitWhileTheStoreKeepsTheHeadAndTail() {
		byte[] expected = seq(300_000);
		Map<String, Object> job = api.awaitEnd(api.submitId("{\"command\":[\"/usr/bin/seq\",\"1\",\"300000\"]}"));
		assertThat(job).containsEntry("state", "SUCCEEDED");
		Map<String, Object> stdout = Api.map(job.get("stdout"));
		assertThat(stdout).containsEntry("bytes", expected.length)
			.containsEntry("kept", (int) LIMIT)
			.doesNotContainKey("keptError");
		byte[] served = body((String) job.get("id"));
		assertThat(served).hasSize((int) LIMIT);
		assertThat(served).isEqualTo(java.util.Arrays.copyOf(expected, (int) LIMIT));
	}

	@Test
	void aFullDiskStopsTheFileWithTheReasonAndNeitherTheJobNorTheServiceFails() throws IOException {
		Path filler = outputDir.resolve("filler");
		long room = 96 * 1024;
		try {
			long usable = Files.getFileStore(outputDir).getUsableSpace();
			Files.write(filler, new byte[(int) Math.max(0, usable - room)]);
			byte[] expected = seq(100_000);
			Map<String, Object> job = api.awaitEnd(api.submitId("{\"command\":[\"/usr/bin/seq\",\"1\",\"100000\"]}"));
			assertThat(job).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", 0);
			Map<String, Object> stdout = Api.map(job.get("stdout"));
			long kept = ((Number) stdout.get("kept")).longValue();
			assertThat(kept).isPositive().isLessThanOrEqualTo(room).isLessThan(expected.length);
			assertThat((String) stdout.get("keptError")).contains("No space left on device")
				.contains("stopped at " + kept + " bytes");
			assertThat(stdout).containsEntry("bytes", expected.length);
			assertThat(body((String) job.get("id"))).isEqualTo(java.util.Arrays.copyOf(expected, (int) kept));
			Map<String, Object> health = api.client()
				.get()
				.uri("/actuator/health")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody(Api.JSON)
				.returnResult()
				.getResponseBody();
			assertThat(health).containsEntry("status", "UP");
		}
		finally {
			Files.deleteIfExists(filler);
		}
	}

	@Test
	void theRetentionSweepDeletesTheFilesAndTheStoredHeadAndTailAreServedInstead() {
		Map<String, Object> job = api.awaitEnd(api.submitId("{\"command\":[\"/bin/echo\",\"kept a while\"]}"));
		String id = (String) job.get("id");
		assertThat(outputFiles.find(id, 1, "stdout")).isPresent();
		assertThat(outputFiles.sweep(Instant.now().plusSeconds(60))).isPositive();
		assertThat(outputFiles.find(id, 1, "stdout")).isEmpty();
		assertThat(new String(body(id), StandardCharsets.UTF_8)).isEqualTo("kept a while\n");
	}

	private byte[] body(String id) {
		return api.client()
			.get()
			.uri("/api/v1/jobs/{id}/stdout", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
	}

	/** What {@code seq 1 n} prints. */
	private static byte[] seq(int n) {
		StringBuilder text = new StringBuilder();
		for (int i = 1; i <= n; i++) {
			text.append(i).append('\n');
		}
		return text.toString().getBytes(StandardCharsets.US_ASCII);
	}

	private static int run(String... command) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(command).inheritIO().start();
		return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
	}

}
