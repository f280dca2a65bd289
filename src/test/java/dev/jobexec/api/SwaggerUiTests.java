package dev.jobexec.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.NodeTools;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Swagger UI works in a real browser: Debian's Chromium, driven by playwright-core
 * through {@code src/test/swagger-ui/swagger-ui.spec.mjs}, authorizes with the API key,
 * submits the process example and reads 202 and the job off the page. The screenshot
 * after Execute stays in {@code target/swagger-ui/}.
 */
@JobexecHttpTest
class SwaggerUiTests {

	static final Path SCRIPT = NodeTools.PROJECT.resolve("src/test/swagger-ui/swagger-ui.spec.mjs");

	static final Path OUTPUT = NodeTools.PROJECT.resolve("target/swagger-ui");

	@LocalServerPort
	int port;

	@Test
	void tryItOutSubmitsTheProcessExampleAndShowsTheQueuedJob() throws Exception {
		Path node = NodeTools.node();
		Path chromium = NodeTools.chromium();
		NodeTools.npmPackage("playwright-core");
		Path screenshot = OUTPUT.resolve("after-execute.png");
		Files.deleteIfExists(screenshot);

		NodeTools.Result result = NodeTools.run(
				List.of(node.toString(), SCRIPT.toString(), "http://127.0.0.1:" + this.port, Api.KEY,
						screenshot.toString()),
				Map.of("JOBEXEC_TOOLS_DIR", NodeTools.TOOLS_DIR.toString(), "JOBEXEC_CHROMIUM", chromium.toString()),
				OUTPUT.resolve("swagger-ui.log"), Duration.ofMinutes(3));

		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).contains("authorized with the API key", "status: 202")
			.containsPattern("job: id=[0-9a-f-]{36} state=(QUEUED|RUNNING)")
			.endsWith("OK\n");
		assertThat(screenshot).isNotEmptyFile();
	}

}
