package dev.jobexec.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.jobexec.support.Api;
import dev.jobexec.support.NodeTools;
import dev.jobexec.support.ServiceProcess;
import lombok.extern.slf4j.Slf4j;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every request of {@code http-examples/*.http} answers what its assertions say, run by
 * httpyac with the {@code ci} environment of {@code http-client.env.json} against the
 * service started as an operator would, with the one-slot pool errors.http's 429 example
 * relies on. A separate service, because the examples leave a stuck thread and cancelled
 * jobs behind that would disturb the tests sharing a context.
 */
@Slf4j
class HttpExamplesTests {

	static final Path EXAMPLES = NodeTools.PROJECT.resolve("http-examples");

	static final Path OUTPUT = NodeTools.PROJECT.resolve("target/http-examples");

	/** The pool errors.http fills to show 429; its file names these settings. */
	static final String[] ONE_SLOT_POOL = { "--jobexec.pools.one-slot.type=process",
			"--jobexec.pools.one-slot.max-concurrency=1", "--jobexec.pools.one-slot.queue-capacity=0" };

	@TempDir
	static Path dir;

	static ServiceProcess service;

	static Path node;

	static Path httpyac;

	@BeforeAll
	static void startService() throws IOException {
		node = NodeTools.node();
		httpyac = NodeTools.npmPackage("httpyac").resolve("bin/httpyac.js");
		service = ServiceProcess.start(dir, List.of(), ONE_SLOT_POOL);
	}

	@AfterAll
	static void stopService() {
		if (service != null) {
			service.close();
		}
	}

	@Test
	void everyExampleAnswersWhatItsAssertionsSay() throws Exception {
		List<String> files;
		try (Stream<Path> listing = Files.list(EXAMPLES)) {
			files = listing.filter((file) -> file.toString().endsWith(".http"))
				.filter((file) -> !file.getFileName().toString().equals("isolation.http") || cgroupPerJob())
				.map(Path::toString)
				.sorted()
				.toList();
		}
		assertThat(files).hasSizeGreaterThanOrEqualTo(4);

		NodeTools.Result result = httpyac(NodeTools.PROJECT, files, OUTPUT.resolve("httpyac.log"));

		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).containsPattern("\\d+ requests processed \\(\\d+ succeeded\\)");
	}

	/**
	 * Whether the service gives process jobs a cgroup each, which isolation.http needs
	 * (as root on a machine with writable cgroups: in CI, always).
	 */
	private static boolean cgroupPerJob() {
		Map<String, Object> health = service.api()
			.client()
			.get()
			.uri("/actuator/health/isolation")
			.exchange()
			.returnResult(Api.JSON)
			.getResponseBody();
		Object pool = (health != null && health.get("details") instanceof Map<?, ?> details
				&& details.get("pools") instanceof Map<?, ?> pools) ? pools.get("process") : null;
		boolean confined = "cgroup per job".equals(pool);
		if (!confined) {
			String reason = "the service gives process jobs no cgroup here: " + health;
			if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_CGROUPS"))) {
				throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_CGROUPS is set)");
			}
			log.warn("Leaving http-examples/isolation.http out: {}", reason);
		}
		return confined;
	}

	@Test
	void aFailedAssertionFailsTheRun() throws Exception {
		// httpyac runs where the file is, as it skips files outside its working directory
		// and git-ignored ones (target/); the environments of the examples lie beside it.
		Path brokenDir = Files.createDirectories(dir.resolve("broken"));
		Path broken = brokenDir.resolve("broken.http");
		Files.copy(EXAMPLES.resolve("http-client.env.json"), brokenDir.resolve("http-client.env.json"),
				StandardCopyOption.REPLACE_EXISTING);
		Files.writeString(broken, """
				### Pools answer 200, not 418
				GET {{host}}/api/v1/pools
				X-API-Key: {{key}}

				?? status == 418
				""");

		NodeTools.Result result = httpyac(brokenDir, List.of(broken.toString()), OUTPUT.resolve("httpyac-broken.log"));

		assertThat(result.exitCode()).as(result.output()).isNotZero();
		assertThat(result.output()).contains("1 requests processed (1 failed)");
	}

	private static NodeTools.Result httpyac(Path workingDirectory, List<String> files, Path log) throws Exception {
		List<String> command = new ArrayList<>(List.of(node.toString(), httpyac.toString(), "send"));
		command.addAll(files);
		command
			.addAll(List.of("--all", "--env", "ci", "--no-color", "--output", "none", "--output-failed", "exchange"));
		return NodeTools.run(workingDirectory, command,
				Map.of("JOBEXEC_HTTP_HOST", service.baseUrl(), "JOBEXEC_HTTP_KEY", Api.KEY), log,
				Duration.ofMinutes(3));
	}

}
