package dev.jobexec.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redocly CLI's recommended rules find neither errors nor warnings in
 * {@code docs/openapi.json} (configured by {@code redocly.yaml}). {@code .ci/run}
 * installs the CLI and sets {@code JOBEXEC_REDOCLY} and
 * {@code JOBEXEC_REQUIRE_TOOLS=true}, so that in CI a missing CLI fails the build instead
 * of skipping the test.
 */
class OpenApiLintTests {

	@Test
	void documentLintsClean() throws Exception {
		Path report = Path.of("target/redocly-lint.json");
		List<String> command = new ArrayList<>(
				List.of(redocly(), "lint", "docs/openapi.json", "--config", "redocly.yaml", "--format", "json"));
		ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(report.toFile())
			.redirectError(ProcessBuilder.Redirect.DISCARD);
		builder.environment().put("REDOCLY_TELEMETRY", "off");
		builder.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
		Process lint = builder.start();
		lint.getOutputStream().close();
		assertThat(lint.waitFor(2, TimeUnit.MINUTES)).as("redocly lint ended").isTrue();
		String output = Files.readString(report, StandardCharsets.UTF_8);
		JsonNode totals = JsonMapper.builder().build().readTree(output).get("totals");
		assertThat(totals.get("errors").asInt()).as("errors in %s", report).isZero();
		assertThat(totals.get("warnings").asInt()).as("warnings in %s", report).isZero();
		assertThat(lint.exitValue()).isZero();
	}

	/**
	 * The CLI named by {@code JOBEXEC_REDOCLY}, or {@code redocly} on the PATH; skips the
	 * test when there is none, unless the tools are required.
	 */
	private static String redocly() {
		String configured = System.getenv("JOBEXEC_REDOCLY");
		String candidate = (configured != null && !configured.isBlank()) ? configured : "redocly";
		try {
			Process version = new ProcessBuilder(candidate, "--version").redirectErrorStream(true).start();
			version.getOutputStream().close();
			version.getInputStream().readAllBytes();
			if (version.waitFor(1, TimeUnit.MINUTES) && version.exitValue() == 0) {
				return candidate;
			}
		}
		catch (IOException ex) {
			// Not installed: reported below.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		String reason = "no Redocly CLI at '" + candidate + "'";
		if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_TOOLS"))) {
			throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_TOOLS is set)");
		}
		Assumptions.abort(reason + "; install it as .ci/run does (npm install @redocly/cli) to run this test");
		return candidate;
	}

}
