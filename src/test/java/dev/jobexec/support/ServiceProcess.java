package dev.jobexec.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.jobexec.JobexecApplication;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import org.awaitility.Awaitility;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service started as a separate JVM, as an operator would run it, so that a test can
 * send it SIGTERM or SIGKILL and watch what happens to its jobs in {@code /proc}.
 */
public final class ServiceProcess implements AutoCloseable {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final Process process;

	private final int port;

	private final Path log;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private volatile String apiKey = Api.KEY;

	private ServiceProcess(Process process, int port, Path log) {
		this.process = process;
		this.port = port;
		this.log = log;
	}

	/**
	 * Starts the service with the test classpath, {@code wrapper} in front of
	 * {@code java} (such as {@code unshare ...}), and {@code args} as Spring Boot
	 * arguments; waits until it is healthy.
	 */
	public static ServiceProcess start(Path dir, List<String> wrapper, String... args) throws IOException {
		ServiceProcess service = launch(dir, wrapper, args);
		try {
			Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
				if (!service.process.isAlive()) {
					throw new IllegalStateException("the service exited at start:\n" + service.log());
				}
				return service.statusOf("/actuator/health/readiness") == 200;
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
		ServiceProcess service = launch(dir, List.of(), args);
		int exit = service.awaitExit(Duration.ofSeconds(90));
		return new Failed(exit, service.log());
	}

	/** How a service that could not start ended. */
	public record Failed(int exitCode, String log) {
	}

	private static ServiceProcess launch(Path dir, List<String> wrapper, String... args) throws IOException {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		List<String> command = new ArrayList<>(wrapper);
		command.add(ProcessHandle.current().info().command().orElseThrow());
		command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp",
				System.getProperty("java.class.path"), JobexecApplication.class.getName(), "--server.port=" + port,
				"--jobexec.data-dir=" + dir.resolve("data"), "--jobexec.reaper.interval=200ms",
				"--spring.main.banner-mode=off"));
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

	/**
	 * Uses another API key from now on (for example one the service generated and
	 * logged).
	 */
	public void apiKey(String key) {
		this.apiKey = key;
	}

	public HttpResponse<String> post(String path, String body) {
		return send(HttpRequest.newBuilder(uri(path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body)));
	}

	public HttpResponse<String> get(String path) {
		return send(HttpRequest.newBuilder(uri(path)).GET());
	}

	public int statusOf(String path) {
		try {
			return http
				.send(HttpRequest.newBuilder(uri(path))
					.header("X-API-Key", apiKey)
					.timeout(Duration.ofSeconds(5))
					.GET()
					.build(), HttpResponse.BodyHandlers.discarding())
				.statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return -1;
		}
	}

	/** Submits a job that must be accepted, and returns its id. */
	public String submit(String body) {
		HttpResponse<String> response = post("/api/v1/jobs", body);
		if (response.statusCode() != 202) {
			throw new AssertionError("POST " + body + " answered " + response.statusCode() + ": " + response.body());
		}
		return (String) json(response).get("id");
	}

	public Map<String, Object> job(String id) {
		return json(get("/api/v1/jobs/" + id));
	}

	public Map<String, Object> awaitState(String id, String state) {
		return Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> job(id), (job) -> state.equals(job.get("state")));
	}

	@SuppressWarnings("unchecked")
	public static Map<String, Object> json(HttpResponse<String> response) {
		return JSON.readValue(response.body(), Map.class);
	}

	/** The crash guard of this service, if it runs. */
	public java.util.Optional<ProcessTable.Entry> crashGuard() {
		long jvm = jvmPid();
		return ProcessTable.all()
			.stream()
			.filter((entry) -> entry.ppid() == jvm && !entry.isZombie())
			.filter((entry) -> cmdline(entry.pid()).contains("jobexec-guard"))
			.findFirst();
	}

	private static String cmdline(long pid) {
		try {
			return Files.readString(Path.of("/proc/" + pid + "/cmdline"));
		}
		catch (IOException ex) {
			return "";
		}
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

	private URI uri(String path) {
		return URI.create("http://localhost:" + port + path);
	}

	private HttpResponse<String> send(HttpRequest.Builder request) {
		try {
			return http.send(request.header("X-API-Key", apiKey).timeout(Duration.ofSeconds(60)).build(),
					HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException("request to the service failed", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
