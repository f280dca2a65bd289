package dev.jobexec.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * The npm tools some tests drive (playwright-core with Debian's Chromium, httpyac), and
 * Node to run them: {@code .ci/run} installs them and sets
 * {@code JOBEXEC_REQUIRE_TOOLS=true}, so that in CI a missing tool fails the build
 * instead of skipping the test. {@code JOBEXEC_TOOLS_DIR} names the directory holding
 * their {@code node_modules} ({@code .ci/tools} by default: {@code npm ci --prefix
 * .ci/tools} installs them there), {@code JOBEXEC_CHROMIUM} the browser
 * ({@code /usr/bin/chromium}), {@code JOBEXEC_NODE} the node binary (the one on the
 * {@code PATH}).
 */
public final class NodeTools {

	/** Where the project is: tests run in its base directory. */
	public static final Path PROJECT = Path.of("").toAbsolutePath();

	public static final Path TOOLS_DIR = Path.of(env("JOBEXEC_TOOLS_DIR", PROJECT.resolve(".ci/tools").toString()))
		.toAbsolutePath();

	public static final Path CHROMIUM = Path.of(env("JOBEXEC_CHROMIUM", "/usr/bin/chromium"));

	private NodeTools() {
	}

	/** The node binary; skips the test (or fails it, when required) without one. */
	public static Path node() {
		String configured = System.getenv("JOBEXEC_NODE");
		Optional<Path> node = (configured != null && !configured.isBlank()) ? Optional.of(Path.of(configured))
				: Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
					.filter((dir) -> !dir.isEmpty())
					.map((dir) -> Path.of(dir, "node"))
					.filter(Files::isExecutable)
					.findFirst();
		require(node.filter(Files::isExecutable).isPresent(),
				"no node on the PATH" + ((configured != null) ? " or at JOBEXEC_NODE=" + configured : ""));
		return node.get();
	}

	/**
	 * The installed npm package's directory; skips the test (or fails it, when required)
	 * if it is not installed.
	 */
	public static Path npmPackage(String name) {
		Path dir = TOOLS_DIR.resolve("node_modules").resolve(name);
		require(Files.isRegularFile(dir.resolve("package.json")), "no npm package " + name + " in " + TOOLS_DIR
				+ "/node_modules (install it with: npm ci --prefix " + TOOLS_DIR + ")");
		return dir;
	}

	/** The browser; skips the test (or fails it, when required) without one. */
	public static Path chromium() {
		require(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM + " (Debian: apt-get install chromium)");
		return CHROMIUM;
	}

	private static void require(boolean present, String reason) {
		if (present) {
			return;
		}
		if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_TOOLS"))) {
			throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_TOOLS is set)");
		}
		Assumptions.abort(reason + "; install the tools as .ci/run does to run this test");
	}

	/**
	 * Runs {@code command} in the project directory with {@code env} added, its output
	 * (stdout and stderr) kept in {@code log}; kills it after {@code timeout}.
	 */
	public static Result run(List<String> command, Map<String, String> env, Path log, Duration timeout)
			throws IOException, InterruptedException {
		return run(PROJECT, command, env, log, timeout);
	}

	/**
	 * Runs {@code command} as {@link #run(List, Map, Path, Duration)} does, in
	 * {@code dir}.
	 */
	public static Result run(Path dir, List<String> command, Map<String, String> env, Path log, Duration timeout)
			throws IOException, InterruptedException {
		Files.createDirectories(log.toAbsolutePath().getParent());
		ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
		builder.environment().putAll(env);
		Process process = builder.start();
		boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		if (!ended) {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
			process.waitFor(10, TimeUnit.SECONDS);
		}
		return new Result(ended ? process.exitValue() : -1, Files.readString(log));
	}

	/** How a tool run ended: its exit code (-1 when it was killed at its deadline). */
	public record Result(int exitCode, String output) {
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

}
