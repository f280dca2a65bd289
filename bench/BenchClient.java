import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator and measuring tool for bench/run.sh (JDK 25; virtual threads and java.net.http).
 * The service is taken from the environment: BENCH_URL (http://127.0.0.1:PORT) and BENCH_KEY (API key);
 * BENCH_CLIENT_WARM_S (3) is how long e2e and sync warm this JVM's HTTP client before they measure;
 * BENCH_CLIENT_WARM_JOBS (0) how many jobs (e2e) or requests (sync) of the measured kind they first run
 * unmeasured, so that this JVM's own JIT compilers have settled when the clock starts. e2e and sync
 * also print what this JVM itself used during the measured run: client_cpu_ms_per_job (its CPU per job)
 * and client_jit_ms (its JIT compilers' time), since the client shares the machine with the service.
 * Every mode prints one result line on stdout, "key=value ..."; details go to stderr.
 *
 * <pre>
 * e2e    N C BODY [POOL]  submit N jobs with C concurrent submitters, then wait until all are terminal
 *                         (also printed: the rate at which jobs ended while submissions went on, and
 *                         the rate of the drain after the last one was answered, the pool running alone)
 * submit N C BODY SECS    submit up to N jobs with C concurrent submitters (at most SECS seconds)
 * stream C SECS BODY      closed loop: C clients each submit with Prefer: wait=60 and wait for the end
 * sync   N C PATH BODY WARM  N POSTs of BODY to PATH by C clients, each answered when its command has ended
 *                         (another service at BENCH_URL, e.g. webhook); WARM: a GET path that runs nothing
 * kill   N BODY           kill latency of jobexec: group death time minus (startedAt + timeout)
 * floor  N SECONDS        kill latency floor: own process group, kill(-pgid, SIGTERM) at the deadline
 * </pre>
 */
public class BenchClient {

	static final String BASE = System.getenv().getOrDefault("BENCH_URL", "http://127.0.0.1:8080");

	static final String KEY = System.getenv().getOrDefault("BENCH_KEY", "");

	static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

	static final Pattern STATE = Pattern.compile("\"state\":\"([A-Z_]+)\"");

	static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");

	static final Pattern STARTED = Pattern.compile("\"startedAt\":\"([^\"]+)\"");

	static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "LOST");

	static HttpClient http;

	public static void main(String[] args) throws Throwable {
		http = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(10))
			.executor(Executors.newVirtualThreadPerTaskExecutor())
			.build();
		switch (args[0]) {
			case "e2e" -> e2e(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3],
					(args.length > 4) ? args[4] : "process");
			case "submit" -> submit(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3],
					Double.parseDouble(args[4]));
			case "sync" -> sync(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3], args[4], args[5]);
			case "stream" -> stream(Integer.parseInt(args[1]), Double.parseDouble(args[2]), args[3]);
			case "kill" -> kill(Integer.parseInt(args[1]), args[2]);
			case "floor" -> floor(Integer.parseInt(args[1]), Double.parseDouble(args[2]));
			default -> throw new IllegalArgumentException("unknown mode " + args[0]);
		}
		System.exit(0);
	}

	// ---- HTTP ----

	static HttpResponse<String> post(String body, String prefer) throws IOException, InterruptedException {
		return post("/api/v1/jobs", body, prefer);
	}

	static HttpResponse<String> post(String path, String body, String prefer) throws IOException, InterruptedException {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(BASE + path))
			.timeout(Duration.ofSeconds(120))
			.header("X-API-Key", KEY)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (prefer != null) {
			request.header("Prefer", prefer);
		}
		return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	static String get(String path) throws IOException, InterruptedException {
		HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(BASE + path))
			.timeout(Duration.ofSeconds(120))
			.header("X-API-Key", KEY)
			.GET()
			.build(), HttpResponse.BodyHandlers.ofString());
		if (response.statusCode() != 200) {
			throw new IOException("GET " + path + ": " + response.statusCode() + " " + response.body());
		}
		return response.body();
	}

	static String field(Pattern pattern, String json) {
		Matcher matcher = pattern.matcher(json);
		return matcher.find() ? matcher.group(1) : null;
	}

	/** Submits a job; retries on 429 (queue full) and 503; returns the job JSON. */
	static String submitOne(String body, String prefer, Map<Integer, AtomicInteger> statuses) throws Exception {
		for (int attempt = 0;; attempt++) {
			HttpResponse<String> response = post(body, prefer);
			statuses.computeIfAbsent(response.statusCode(), (s) -> new AtomicInteger()).incrementAndGet();
			if (response.statusCode() == 200 || response.statusCode() == 202) {
				return response.body();
			}
			if ((response.statusCode() == 429 || response.statusCode() == 503) && attempt < 100) {
				Thread.sleep(50);
				continue;
			}
			throw new IOException("POST /api/v1/jobs: " + response.statusCode() + " " + response.body());
		}
	}

	/** Long-polls a job until it is terminal; returns its state. */
	static String awaitTerminal(String id) throws Exception {
		while (true) {
			String state = field(STATE, get("/api/v1/jobs/" + id + "?wait=PT30S"));
			if (TERMINAL.contains(state)) {
				return state;
			}
		}
	}

	static void runAll(int workers, Worker worker) throws Exception {
		try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < workers; i++) {
				futures.add(executor.submit(() -> {
					worker.run();
					return null;
				}));
			}
			for (Future<?> future : futures) {
				future.get();
			}
		}
	}

	interface Worker {

		void run() throws Exception;

	}

	static String counts(Map<?, AtomicInteger> counts) {
		StringBuilder text = new StringBuilder();
		new TreeMap<>(counts).forEach((k, v) -> text.append(text.isEmpty() ? "" : ",").append(k).append(':').append(v));
		return text.isEmpty() ? "-" : text.toString();
	}

	// ---- modes ----

	static final Pattern COMPLETED = Pattern.compile("\"completed\":(\\d+)");

	static final Pattern NEXT_CURSOR = Pattern.compile("\"nextCursor\":\"([^\"]+)\"");

	/**
	 * Submits N jobs (labelled with a label of this run) with C submitters, then waits until every one
	 * is terminal. Waiting costs the service little: one long poll of the last job submitted, then the
	 * pool's completed count every 2 ms, and once it has grown by N the run's jobs are listed, 500 a
	 * page, until all N are terminal.
	 */
	static void e2e(int n, int concurrency, String body, String pool) throws Exception {
		measure(n, concurrency, "/api/v1/pools/" + pool, (jobs) -> e2ePass(jobs, concurrency, body, pool));
	}

	/** One run of N jobs or requests; returns its result line. */
	interface Pass {

		String run(int n) throws Exception;

	}

	/**
	 * The client warm-up (GETs of WARM_PATH, then BENCH_CLIENT_WARM_JOBS unmeasured jobs or requests, in
	 * passes of N like the measured one), then the measured pass of N, printed with this JVM's own CPU per
	 * job and JIT time during it. Passes, not one long run: a pass of e2e has phases (submitting, then
	 * waiting and listing), and the code compiled for one phase is thrown out at the next one's first
	 * different branch; after a single long warm-up run the measured pass recompiled, and the client's
	 * JIT took 0.6 to 1.8 s of CPU in a 3.5 s pass of 2,000 jobs (after 10,000 or 30,000 jobs of warm-up).
	 */
	static void measure(int n, int concurrency, String warmPath, Pass pass) throws Exception {
		if (n <= 0) {
			throw new IllegalArgumentException("N must be at least 1");
		}
		warmClient(concurrency, warmPath);
		int warmJobs = Integer.parseInt(System.getenv().getOrDefault("BENCH_CLIENT_WARM_JOBS", "0"));
		for (int done = 0; done < warmJobs; done += n) {
			System.err.println("client warm-up: " + pass.run(Math.min(n, warmJobs - done)));
		}
		long cpu = ownCpuNanos();
		long jit = ownJitMillis();
		String result = pass.run(n);
		System.out.printf("%s %s%n", result, ownUse(n, cpu, jit));
	}

	/** This JVM's CPU time so far, in ns. */
	static long ownCpuNanos() {
		return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
			.getOperatingSystemMXBean()).getProcessCpuTime();
	}

	/** The time this JVM's JIT compilers spent so far, in ms. */
	static long ownJitMillis() {
		return java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
	}

	static String ownUse(int n, long cpuBefore, long jitBefore) {
		return String.format("client_cpu_ms_per_job=%.2f client_jit_ms=%d", (ownCpuNanos() - cpuBefore) / 1e6 / n,
				ownJitMillis() - jitBefore);
	}

	/** One e2e run of N jobs; returns its result line. */
	static String e2ePass(int n, int concurrency, String body, String pool) throws Exception {
		String run = "e2e-" + System.nanoTime();
		String labelled = body.substring(0, body.lastIndexOf('}')) + ",\"labels\":{\"bench\":\"" + run + "\"}}";
		Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
		long before = Long.parseLong(field(COMPLETED, get("/api/v1/pools/" + pool)));
		AtomicInteger next = new AtomicInteger();
		AtomicReference<String> last = new AtomicReference<>();
		long start = System.nanoTime();
		runAll(concurrency, () -> {
			for (int i; (i = next.getAndIncrement()) < n;) {
				String job = submitOne(labelled, null, statuses);
				if (i == n - 1) {
					last.set(field(ID, job));
				}
			}
		});
		long submitted = System.nanoTime();
		// How many had ended when the last submission was answered: the rest ended in the
		// drain, when the pool ran without submissions beside it.
		long endedWhileSubmitting = Long.parseLong(field(COMPLETED, get("/api/v1/pools/" + pool))) - before;
		// One long poll for the last job submitted, which starts after (nearly) all others,
		// then the pool's count every 2 ms: waiting costs the service next to nothing, as
		// the synchronous peers' clients cost theirs, and the clock stops within 2 ms of the
		// end.
		if (last.get() != null) {
			awaitTerminal(last.get());
		}
		Map<String, Integer> states;
		while (true) {
			if (Long.parseLong(field(COMPLETED, get("/api/v1/pools/" + pool))) - before >= n) {
				states = states(run);
				if (states.values().stream().mapToInt(Integer::intValue).sum() == n
						&& states.keySet().stream().allMatch(TERMINAL::contains)) {
					break;
				}
			}
			Thread.sleep(2);
		}
		long end = System.nanoTime();
		double seconds = (end - start) / 1e9;
		Map<String, AtomicInteger> counted = new TreeMap<>();
		states.forEach((state, count) -> counted.put(state, new AtomicInteger(count)));
		double submitting = (submitted - start) / 1e9;
		return String.format(
				"jobs=%d seconds=%.3f jobs_per_s=%.1f submit_per_s=%.1f ended_while_submitting_per_s=%.1f "
						+ "drain_jobs_per_s=%.1f statuses=%s states=%s",
				n, seconds, n / seconds, n / submitting, endedWhileSubmitting / submitting,
				(n - endedWhileSubmitting) / ((end - submitted) / 1e9), counts(statuses), counts(counted));
	}

	/**
	 * Warms this JVM's HTTP client (a new JVM per mode, so it starts cold and would otherwise be
	 * slower than the service) with 3 s (BENCH_CLIENT_WARM_S) of GETs of PATH from C threads,
	 * which create nothing.
	 */
	static void warmClient(int concurrency, String path) throws Exception {
		double seconds = Double.parseDouble(System.getenv().getOrDefault("BENCH_CLIENT_WARM_S", "3"));
		long until = System.nanoTime() + (long) (seconds * 1e9);
		runAll(concurrency, () -> {
			while (System.nanoTime() < until) {
				get(path);
			}
		});
	}

	/** How many jobs with label bench=RUN are in each state, from the listing. */
	static Map<String, Integer> states(String run) throws Exception {
		Map<String, Integer> states = new TreeMap<>();
		String cursor = null;
		do {
			String page = get("/api/v1/jobs?label=bench:" + run + "&limit=500" + ((cursor != null) ? "&cursor=" + cursor : ""));
			Matcher state = STATE.matcher(page);
			while (state.find()) {
				states.merge(state.group(1), 1, Integer::sum);
			}
			cursor = field(NEXT_CURSOR, page);
		}
		while (cursor != null);
		return states;
	}

	/** Submits up to N jobs with C submitters for at most SECS seconds, without waiting for them. */
	static void submit(int n, int concurrency, String body, double maxSeconds) throws Exception {
		Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
		AtomicInteger next = new AtomicInteger();
		AtomicInteger done = new AtomicInteger();
		long start = System.nanoTime();
		long stop = start + (long) (maxSeconds * 1e9);
		runAll(concurrency, () -> {
			while (System.nanoTime() < stop && next.getAndIncrement() < n) {
				HttpResponse<String> response = post(body, null);
				statuses.computeIfAbsent(response.statusCode(), (s) -> new AtomicInteger()).incrementAndGet();
				if (response.statusCode() == 202) {
					done.incrementAndGet();
				}
			}
		});
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("accepted=%d seconds=%.3f per_s=%.1f statuses=%s%n", done.get(), seconds,
				done.get() / seconds, counts(statuses));
	}

	/**
	 * The synchronous peer of e2e for another service that runs a command per request and answers
	 * once it has ended: after the same client warm-up (3 s of GETs of WARM, which runs nothing), C
	 * clients POST BODY to PATH, N requests in all; the clock stops at the last answer. Only 200s
	 * count as done.
	 */
	static void sync(int n, int concurrency, String path, String body, String warmPath) throws Exception {
		measure(n, concurrency, warmPath, (requests) -> syncPass(requests, concurrency, path, body));
	}

	/** One sync run of N requests; returns its result line. */
	static String syncPass(int n, int concurrency, String path, String body) throws Exception {
		Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
		AtomicInteger next = new AtomicInteger();
		AtomicInteger done = new AtomicInteger();
		long start = System.nanoTime();
		runAll(concurrency, () -> {
			while (next.getAndIncrement() < n) {
				HttpResponse<String> response = post(path, body, null);
				statuses.computeIfAbsent(response.statusCode(), (s) -> new AtomicInteger()).incrementAndGet();
				if (response.statusCode() == 200) {
					done.incrementAndGet();
				}
			}
		});
		double seconds = (System.nanoTime() - start) / 1e9;
		return String.format("jobs=%d seconds=%.3f jobs_per_s=%.1f statuses=%s", done.get(), seconds,
				done.get() / seconds, counts(statuses));
	}

	/** C clients, each submitting a job with Prefer: wait=60 and waiting for its end, for SECS seconds. */
	static void stream(int concurrency, double maxSeconds, String body) throws Exception {
		Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
		AtomicLong finished = new AtomicLong();
		long start = System.nanoTime();
		long stop = start + (long) (maxSeconds * 1e9);
		runAll(concurrency, () -> {
			while (System.nanoTime() < stop) {
				String job = submitOne(body, "wait=60", statuses);
				if (!TERMINAL.contains(field(STATE, job))) {
					awaitTerminal(field(ID, job));
				}
				finished.incrementAndGet();
			}
		});
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("jobs=%d seconds=%.3f jobs_per_s=%.1f statuses=%s%n", finished.get(), seconds,
				finished.get() / seconds, counts(statuses));
	}

	// ---- kill latency ----

	/** Reads /proc/PID/stat: {state, pgrp}, or null when the process is gone. */
	static String[] stat(String pid) {
		try {
			String stat = new String(Files.readAllBytes(Path.of("/proc", pid, "stat")));
			String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 4);
			return new String[] { rest[0], rest[2] };
		}
		catch (NoSuchFileException ex) {
			return null;
		}
		catch (IOException | RuntimeException ex) {
			return null; // vanished while being read
		}
	}

	static boolean alive(String pid, String pgid) {
		String[] stat = stat(pid);
		return stat != null && !stat[0].equals("Z") && !stat[0].equals("X") && stat[1].equals(pgid);
	}

	/** Every live (not zombie) process in process group PGID, found by scanning /proc. */
	static Set<String> scanGroup(String pgid) throws IOException {
		Set<String> members = new HashSet<>();
		try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
			for (Path entry : proc) {
				String name = entry.getFileName().toString();
				if (!name.isEmpty() && Character.isDigit(name.charAt(0)) && alive(name, pgid)) {
					members.add(name);
				}
			}
		}
		return members;
	}

	/**
	 * Waits until process group PGID has no live member; returns the wall-clock time of the first poll that saw
	 * it empty. Polls the known members every ~0.5 ms and confirms with a full /proc scan. Before DEADLINE (epoch
	 * nanos), rescans /proc every 5 ms to learn the members (the shell starts its children after it starts).
	 * KNOWN are members found before (so that no full scan is needed right after a kill).
	 */
	static long awaitGroupDeath(String pgid, long deadlineEpochNanos, Set<String> known) throws IOException {
		Set<String> members = new HashSet<>(known);
		long lastScan = System.nanoTime();
		while (true) {
			long now = epochNanos();
			if (now < deadlineEpochNanos - 10_000_000L && System.nanoTime() - lastScan > 5_000_000L) {
				members.addAll(scanGroup(pgid));
				lastScan = System.nanoTime();
			}
			members.removeIf((pid) -> !alive(pid, pgid));
			if (members.isEmpty()) {
				long seen = epochNanos();
				members = scanGroup(pgid);
				if (members.isEmpty()) {
					return seen;
				}
			}
			LockSupport.parkNanos(500_000L);
		}
	}

	static long epochNanos() {
		Instant now = Instant.now();
		return now.getEpochSecond() * 1_000_000_000L + now.getNano();
	}

	static long epochNanos(Instant instant) {
		return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
	}

	static double percentile(double[] sorted, double p) {
		int rank = (int) Math.ceil(p * sorted.length);
		return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
	}

	static void report(List<Double> latenciesMs, String extra) {
		double[] sorted = latenciesMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
		System.err.println("  latencies ms: " + Arrays.toString(Arrays.stream(sorted)
			.mapToObj((v) -> String.format("%.1f", v)).toArray()));
		System.out.printf("n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f %s%n", sorted.length, percentile(sorted, 0.50),
				percentile(sorted, 0.99), sorted[sorted.length - 1], extra);
	}

	/** jobexec: each job's group death time minus its deadline (startedAt + timeout), one job at a time. */
	static void kill(int n, String body) throws Exception {
		Duration timeout = Duration.parse(field(Pattern.compile("\"timeout\":\"([^\"]+)\""), body));
		List<Double> latencies = new ArrayList<>();
		Map<String, AtomicInteger> states = new TreeMap<>();
		for (int i = 0; i < n; i++) {
			String id = field(ID, submitOne(body, null, new ConcurrentHashMap<>()));
			String job;
			String pid;
			String started;
			while (true) {
				job = get("/api/v1/jobs/" + id);
				pid = field(PID, job);
				started = field(STARTED, job);
				if ((pid != null && started != null) || TERMINAL.contains(field(STATE, job))) {
					break;
				}
				LockSupport.parkNanos(1_000_000L);
			}
			if (pid == null || started == null) {
				throw new IOException("job " + id + " ended without pid or startedAt: " + job);
			}
			long deadline = epochNanos(Instant.parse(started)) + timeout.toNanos();
			long dead = awaitGroupDeath(pid, deadline, scanGroup(pid));
			latencies.add((dead - deadline) / 1e6);
			states.computeIfAbsent(awaitTerminal(id), (s) -> new AtomicInteger()).incrementAndGet();
		}
		report(latencies, "states=" + counts(states));
	}

	/** The floor: the same process group, started and killed (kill(-pgid, SIGTERM)) by this program. */
	static void floor(int n, double timeoutSeconds) throws Throwable {
		MethodHandle kill = Linker.nativeLinker()
			.downcallHandle(Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
					FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
		long timeoutNanos = (long) (timeoutSeconds * 1e9);
		List<Double> latencies = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			// The child of a JVM is no process group leader, so setsid does not fork: pid == pgid.
			Process process = new ProcessBuilder("setsid", "/bin/sh", "-c", "sleep 30 & sleep 30 & wait")
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.redirectError(ProcessBuilder.Redirect.DISCARD)
				.start();
			long deadline = epochNanos() + timeoutNanos;
			String pgid = Long.toString(process.pid());
			Set<String> members = new HashSet<>();
			while (epochNanos() < deadline - 10_000_000L) {
				members.addAll(scanGroup(pgid));
				LockSupport.parkNanos(5_000_000L);
			}
			// Like the poll loop of awaitGroupDeath: the last 10 ms before the deadline only check known members.
			while (epochNanos() < deadline) {
				members.removeIf((pid) -> !alive(pid, pgid));
				LockSupport.parkNanos(500_000L);
			}
			long killed = epochNanos();
			int rc = (int) kill.invokeExact(-(int) process.pid(), 15);
			if (rc != 0) {
				throw new IOException("kill(-" + pgid + ", SIGTERM) failed");
			}
			long dead = awaitGroupDeath(pgid, 0, members);
			latencies.add((dead - killed) / 1e6);
			process.waitFor();
			if (members.size() < 3) {
				System.err.println("  floor: group " + pgid + " had only " + members.size() + " members at the deadline");
			}
		}
		report(latencies, "");
	}

}
