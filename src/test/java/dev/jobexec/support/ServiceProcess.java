package dev.jobexec.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.jobexec.JobexecApplication;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import org.awaitility.Awaitility;

/**
 * The service started as a separate JVM, as an operator would run it, so that a test can
 * send it SIGTERM or SIGKILL and watch what happens to its jobs in {@code /proc}. Its API
 * is reached through {@link #api()}.
 */
public final class ServiceProcess implements AutoCloseable {

	private final Process process;

	private final String baseUrl;

	private final Api api;

	private final Path log;

	private ServiceProcess(Process process, int port, Path log) {
		this.process = process;
		this.baseUrl = "http://localhost:" + port;
		this.api = Api.at(this.baseUrl);
		this.log = log;
	}

	/**
	 * Starts the service with the test classpath, {@code wrapper} in front of
	 * {@code java} (such as {@code unshare ...}), and {@code args} as Spring Boot
	 * arguments; waits until it is healthy.
	 */
	public static ServiceProcess start(Path dir, List<String> wrapper, String... args) throws IOException {
		return awaitReady(launch(dir, wrapper, args));
	}

	private static ServiceProcess awaitReady(ServiceProcess service) {
		try {
			Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
				if (!service.process.isAlive()) {
					throw new IllegalStateException("the service exited at start:\n" + service.log());
				}
				return service.api.statusOf("/actuator/health/readiness") == 200;
			});
		}
		catch (RuntimeException | Error ex) {
			service.close();
			throw ex;
		}
		return service;
	}

	/** Starts the service and waits for it to give up; returns its exit code and log. */
	public static Failed startExpectingFailure(Path dir, String... args) throws IOException, InterruptedException {
		return startExpectingFailure(dir, List.of(), args);
	}

	/**
	 * Starts the service with {@code wrapper} in front of {@code java} and waits for it
	 * to give up; returns its exit code and log.
	 */
	public static Failed startExpectingFailure(Path dir, List<String> wrapper, String... args)
			throws IOException, InterruptedException {
		// Closed in any case: a service that starts after all must not outlive the test.
		try (ServiceProcess service = launch(dir, wrapper, args)) {
			int exit = service.awaitExit(Duration.ofSeconds(90));
			return new Failed(exit, service.log());
		}
	}

	/** How a service that could not start ended. */
	public record Failed(int exitCode, String log) {
	}

	private static ServiceProcess launch(Path dir, List<String> wrapper, String... args) throws IOException {
		return launch(dir, wrapper,
				List.of("-cp", System.getProperty("java.class.path"), JobexecApplication.class.getName()), args);
	}

	/**
	 * Starts the packaged jar, as an operator runs it ({@code java -jar}), and waits
	 * until it is ready.
	 */
	public static ServiceProcess startJar(Path dir, Path jar, String... args) throws IOException {
		return awaitReady(launch(dir, List.of(), List.of("-jar", jar.toString()), args));
	}

	private static ServiceProcess launch(Path dir, List<String> wrapper, List<String> main, String... args)
			throws IOException {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		List<String> command = new ArrayList<>(wrapper);
		command.add(ProcessHandle.current().info().command().orElseThrow());
		command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx256m"));
		command.addAll(main);
		command.addAll(List.of("--server.port=" + port, "--jobexec.data-dir=" + dir.resolve("data"),
				"--jobexec.reaper.interval=200ms", "--spring.main.banner-mode=off"));
		if (List.of(args).stream().noneMatch((arg) -> arg.startsWith("--jobexec.security.api-keys"))) {
			command.add("--jobexec.security.api-keys=" + Api.KEY);
		}
		command.addAll(List.of(args));
		Path log = dir.resolve("service.log");
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
			.start();
		return new ServiceProcess(process, port, log);
	}

	public Process process() {
		return process;
	}

	/**
	 * The pid of the service's JVM as this machine sees it, also when a wrapper forked
	 * it.
	 */
	public long jvmPid() {
		return ProcessTable.all()
			.stream()
			.filter((entry) -> entry.pid() == process.pid() || entry.ppid() == process.pid())
			.filter((entry) -> entry.command().equals("java"))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("no JVM below " + process.pid()))
			.pid();
	}

	/** Where the service listens, such as {@code http://localhost:41234}. */
	public String baseUrl() {
		return baseUrl;
	}

	/**
	 * The service's API, with the test key; {@link Api#withKey} gives it with another.
	 */
	public Api api() {
		return api;
	}

	/** The crash guard of this service, if it runs. */
	public Optional<ProcessTable.Entry> crashGuard() {
		long jvm = jvmPid();
		return ProcessTable.all()
			.stream()
			.filter((entry) -> entry.ppid() == jvm && !entry.isZombie())
			.filter((entry) -> ProcessTable.cmdline(entry.pid()).contains("jobexec-guard"))
			.findFirst();
	}

	/**
	 * SIGTERM to the service's JVM (not to a wrapper such as unshare, which would not
	 * pass it on).
	 */
	public void sigterm() {
		ProcessControl.signalProcess(jvmPid(), ProcessControl.SIGTERM);
	}

	/** SIGKILL to the service's JVM. */
	public void sigkill() {
		ProcessControl.signalProcess(jvmPid(), ProcessControl.SIGKILL);
	}

	public int awaitExit(Duration timeout) throws InterruptedException {
		if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
			throw new AssertionError("the service did not exit within " + timeout + ":\n" + log());
		}
		return process.exitValue();
	}

	public String log() {
		try {
			return Files.readString(log);
		}
		catch (IOException ex) {
			return "(no log: " + ex.getMessage() + ")";
		}
	}

	/**
	 * Live processes that belong to one of these jobs, found by the job id in their
	 * environment.
	 */
	public static List<ProcessTable.Entry> processesOf(List<String> jobIds) {
		return ProcessTable.all()
			.stream()
			.filter((entry) -> !entry.isZombie())
			.filter((entry) -> ProcessTable.environmentVariable(entry.pid(), "JOBEXEC_JOB_ID")
				.map(jobIds::contains)
				.orElse(false))
			.toList();
	}

	/**
	 * Kills the service, its JVM first: with a wrapper such as unshare, killing the
	 * wrapper would not reach it.
	 */
	@Override
	public void close() {
		if (process.isAlive()) {
			ProcessTable.all()
				.stream()
				.filter((entry) -> entry.ppid() == process.pid() && !entry.isZombie() && "java".equals(entry.command()))
				.forEach((child) -> ProcessControl.signalProcess(child.pid(), ProcessControl.SIGKILL));
			process.destroyForcibly();
			try {
				process.waitFor(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
