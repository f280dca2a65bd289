package dev.jobexec.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * The Prometheus tools ({@code prometheus}, {@code promtool}) for the monitoring tests:
 * {@code .ci/run} installs Debian's {@code prometheus} and sets
 * {@code JOBEXEC_REQUIRE_TOOLS=true}, so that in CI a missing binary fails the build
 * instead of skipping the tests.
 */
public final class Tools {

	private Tools() {
	}

	/**
	 * The path of {@code name} on {@code PATH}; skips the test (or fails it, when the
	 * tools are required) if there is none.
	 */
	public static Path require(String name) {
		for (String directory : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
			Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
			if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
				return candidate;
			}
		}
		String reason = "no " + name + " on PATH";
		if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_TOOLS"))) {
			throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_TOOLS is set)");
		}
		Assumptions.abort(reason + "; install Debian's prometheus as .ci/run does to run these tests");
		return null;
	}

	/**
	 * Runs {@code command} with {@code stdin} (or none), and returns its exit code and
	 * its output, stdout and stderr together; fails after {@code deadline}.
	 */
	public static Result run(Duration deadline, String stdin, List<String> command) {
		try {
			Path output = Files.createTempFile("jobexec-tool", ".out");
			try {
				ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
					.redirectOutput(output.toFile());
				if (stdin == null) {
					builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
				}
				Process process = builder.start();
				if (stdin != null) {
					try (var in = process.getOutputStream()) {
						in.write(stdin.getBytes(StandardCharsets.UTF_8));
					}
				}
				if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
					process.destroyForcibly();
					throw new IllegalStateException(command + " did not end within " + deadline);
				}
				return new Result(process.exitValue(), Files.readString(output));
			}
			finally {
				Files.deleteIfExists(output);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot run " + command, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted running " + command, ex);
		}
	}

	/** How a tool ended. */
	public record Result(int exitCode, String output) {

	}

}
