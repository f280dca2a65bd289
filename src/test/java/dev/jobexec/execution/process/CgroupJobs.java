package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import dev.jobexec.os.Cgroups;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.CgroupFiles;
import dev.jobexec.support.ServiceProcess;
import org.assertj.core.api.Assumptions;
import org.awaitility.Awaitility;

import static dev.jobexec.support.Api.map;
import static dev.jobexec.support.Api.pid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the tests of a cgroup per job share, whichever layout the service uses: the escape
 * a job's cgroup exists for, and the job's cgroup directories as the kernel shows them.
 */
final class CgroupJobs {

	/**
	 * A job that leaves its process group and session, clears its environment and double
	 * forks a {@code /bin/sleep <marker>}.
	 */
	static final String ESCAPE = "setsid env -i /bin/sh -c '/bin/sleep %d </dev/null >/dev/null 2>&1 & exit 0'";

	/**
	 * The name a job cgroup may have, as a regular expression: a slot's (where job
	 * cgroups are slots kept for later jobs, all layouts but cgroup v2 with the memory
	 * controller), or the job's own.
	 */
	static String ownName(String id) {
		return "(slot-\\d+|" + Pattern.quote(id) + ")";
	}

	private CgroupJobs() {
	}

	/**
	 * Skips the test class (or fails it, where cgroups are required) unless this machine
	 * gives the service writable cgroups.
	 */
	static void requireCgroupsHere() {
		Cgroups cgroups = Cgroups.open();
		try {
			CgroupFiles.requireWritableCgroups(cgroups.layout().name().toLowerCase(Locale.ROOT));
		}
		finally {
			if (cgroups.usable()) {
				cgroups.close();
			}
		}
	}

	/**
	 * Runs a job of the {@code confined} pool with limits of its own, checks them in its
	 * cgroup's files, cancels it and waits for its cgroup to be given up (see
	 * {@link #awaitReleased}); returns the cgroup's directories.
	 */
	static Map<String, Path> limitsAreWrittenAndUndoneWhenTheJobIsCancelled(Api api) {
		Map<String, Object> submitted = api.submit("""
				{"pool": "confined", "command": ["/bin/sleep", "300"],
				 "limits": {"memory": "64MB", "processes": 20, "cpu": 0.5}}
				""");
		String id = (String) submitted.get("id");
		assertThat(map(submitted.get("limits"))).containsEntry("memory", "64MB")
			.containsEntry("processes", 20)
			.containsEntry("cpu", 0.5);
		Map<String, Path> cgroup = cgroupOf(pid(api.awaitRunning(id)));
		assertThat(cgroup.values()).extracting((directory) -> directory.getFileName().toString())
			.as("one name in every hierarchy")
			.containsOnly(cgroup.values().iterator().next().getFileName().toString())
			.allMatch((name) -> name.matches(ownName(id)));
		assertThat(memoryLimit(cgroup)).isEqualTo(64L << 20);
		assertThat(file(cgroup, "pids", "pids.max")).isEqualTo("20");
		assertThat(cpuQuota(cgroup)).isEqualTo("50000 100000");

		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		assertThat(api.awaitEnd(id)).containsEntry("state", "CANCELLED");
		awaitReleased(cgroup);
		return cgroup;
	}

	/** A submission of {@code script} run by {@code /bin/sh -c} in {@code pool}. */
	static String job(String pool, String script, String extra) {
		return "{\"pool\": \"" + pool + "\", \"command\": [\"/bin/sh\", \"-c\", \"" + script.replace("\"", "\\\"")
				+ "\"]" + ((extra != null) ? ", " + extra : "") + "}";
	}

	/** A number no other process's command line holds, for an escaped sleep. */
	static int marker() {
		return 4_000_000 + ThreadLocalRandom.current().nextInt(1_000_000);
	}

	/**
	 * Waits for the job's escaped {@code sleep <marker>}, checks that it really escaped
	 * (another session, no job id in its environment) and returns its pid.
	 */
	static long awaitEscaped(Api api, String id, int marker) {
		long session = pid(api.awaitRunning(id));
		ProcessTable.Entry escaped = Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> ProcessTable.all()
				.stream()
				.filter((entry) -> !entry.isZombie())
				.filter((entry) -> ProcessTable.cmdline(entry.pid()).equals("/bin/sleep\0" + marker + "\0"))
				.findFirst(), Optional::isPresent)
			.orElseThrow();
		assertThat(ProcessTable.environmentVariable(escaped.pid(), "JOBEXEC_JOB_ID")).as("escaped environment")
			.isEmpty();
		assertThat(session(escaped.pid())).as("escaped session").isNotEqualTo(session);
		return escaped.pid();
	}

	private static long session(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
			return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Whether a process lives (exists and is no zombie). */
	static boolean alive(long pid) {
		return ProcessTable.read(pid).filter((entry) -> !entry.isZombie()).isPresent();
	}

	/**
	 * The job cgroups of process {@code pid}, per hierarchy ({@link CgroupFiles#of}):
	 * only those jobexec makes, not the service's own.
	 */
	static Map<String, Path> cgroupOf(long pid) {
		Map<String, Path> directories = new LinkedHashMap<>(CgroupFiles.of(pid));
		directories.values().removeIf((directory) -> !directory.toString().contains("/jobexec/"));
		assertThat(directories).as("job cgroups of process %d", pid).isNotEmpty();
		return directories;
	}

	static Map<String, Path> parents(Map<String, Path> cgroup) {
		Map<String, Path> parents = new LinkedHashMap<>();
		cgroup.forEach((key, directory) -> parents.put(key, directory.getParent()));
		return parents;
	}

	/**
	 * Waits for an ended job's cgroup to be given up: each directory removed, or, as a
	 * slot kept for a later job, holding no process and with no limit left.
	 */
	static void awaitReleased(Map<String, Path> cgroup) {
		Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> cgroup.forEach((hierarchy, directory) -> {
			if (!Files.exists(directory)) {
				return;
			}
			assertThat(directory.getFileName().toString()).as("a directory kept is a slot's").startsWith("slot-");
			assertThat(CgroupFiles.read(directory, "cgroup.procs")).as(directory + ": no process").contains("");
			CgroupFiles.read(directory, "memory.limit_in_bytes")
				.ifPresent((limit) -> assertThat(Long.parseLong(limit)).as(directory + ": no memory limit")
					.isGreaterThan(1L << 50));
			CgroupFiles.read(directory, "memory.max").ifPresent((limit) -> assertThat(limit).isEqualTo("max"));
			CgroupFiles.read(directory, "pids.max").ifPresent((limit) -> assertThat(limit).isEqualTo("max"));
			CgroupFiles.read(directory, "cpu.cfs_quota_us").ifPresent((quota) -> assertThat(quota).isEqualTo("-1"));
			CgroupFiles.read(directory, "cpu.max").ifPresent((quota) -> assertThat(quota).startsWith("max "));
		}));
	}

	/**
	 * A busy job (0.3 s of CPU, three processes at once) in the {@code process} pool,
	 * then a job in the busy job's cgroup, kept as a slot: that job's usage counts only
	 * its own CPU time and processes ({@code hierarchy} says where the tests find the
	 * slot). A slot is kept before its job's end is reported, and the most recently kept
	 * is taken first, so with nothing else running the next job gets it.
	 * {@code memoryAndProcesses}: whether the layout counts peak memory and processes.
	 */
	static void aJobInAnEndedJobsSlotCountsOnlyItsOwnUsage(Api api, String hierarchy, boolean memoryAndProcesses) {
		Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.until(() -> api.listed("state=RUNNING&limit=1").isEmpty() && api.listed("state=QUEUED&limit=1").isEmpty());
		Map<String, Object> busy = api.awaitEnd(api
			.submitId(job("process", "timeout 0.3 sh -c 'while :; do :; done'; /bin/sleep 0.1 & /bin/sleep 0.1 & wait; "
					+ "cat /proc/self/cgroup", null)));
		Map<String, Object> usage = map(busy.get("usage"));
		assertThat(usage).containsEntry("source", "cgroup");
		assertThat(Duration.parse((String) usage.get("cpuUser"))).isGreaterThan(Duration.ofMillis(100));
		assertThat(Duration.parse((String) usage.get("cpuSystem"))).isGreaterThanOrEqualTo(Duration.ZERO);
		if (memoryAndProcesses) {
			assertThat(((Number) usage.get("peakMemory")).longValue()).isPositive();
			assertThat(((Number) usage.get("processes")).longValue()).isGreaterThanOrEqualTo(3);
		}
		Path slot = CgroupFiles.parse((String) map(busy.get("stdout")).get("text")).get(hierarchy);
		Assumptions.assumeThat(slot.getFileName().toString())
			.as("job cgroups are slots here (not where memory is cgroup v2's)")
			.startsWith("slot-");

		Map<String, Object> next = api.awaitEnd(api.submitId("{\"command\": [\"/bin/cat\", \"/proc/self/cgroup\"]}"));
		assertThat(CgroupFiles.parse((String) map(next.get("stdout")).get("text")).get(hierarchy))
			.as("the next job's cgroup")
			.isEqualTo(slot);
		Map<String, Object> used = map(next.get("usage"));
		assertThat(used).containsEntry("source", "cgroup");
		assertThat(Duration.parse((String) used.get("cpuUser")).plus(Duration.parse((String) used.get("cpuSystem"))))
			.as("CPU time of a cat in the busy job's slot")
			.isLessThan(Duration.ofMillis(50));
		if (memoryAndProcesses) {
			assertThat(((Number) used.get("processes")).longValue()).isEqualTo(1);
			assertThat(((Number) used.get("peakMemory")).longValue())
				.isLessThan(((Number) usage.get("peakMemory")).longValue());
		}
		else {
			assertThat(used).doesNotContainKeys("peakMemory", "processes");
		}
	}

	/** A file of the job's cgroup of {@code controller}, or of its v2 cgroup. */
	static String file(Map<String, Path> cgroup, String controller, String name) {
		Path directory = cgroup.getOrDefault(controller, cgroup.get(CgroupFiles.V2));
		return CgroupFiles.read(directory, name).orElseThrow(() -> new AssertionError(directory + "/" + name));
	}

	static long memoryLimit(Map<String, Path> cgroup) {
		return Long.parseLong(cgroup.containsKey("memory") ? file(cgroup, "memory", "memory.limit_in_bytes")
				: file(cgroup, CgroupFiles.V2, "memory.max"));
	}

	/** The CPU quota and period, as cgroup v2's {@code cpu.max} spells them. */
	static String cpuQuota(Map<String, Path> cgroup) {
		if (cgroup.containsKey("cpu")) {
			return file(cgroup, "cpu", "cpu.cfs_quota_us") + " " + file(cgroup, "cpu", "cpu.cfs_period_us");
		}
		return file(cgroup, CgroupFiles.V2, "cpu.max");
	}

	/**
	 * Runs 21 short jobs (one cancelled) and checks what is left of their cgroups: no
	 * directory named after a job, and only slots for later jobs, at most 64, the same in
	 * every hierarchy, none holding a process.
	 */
	static void runJobsAndCheckWhatIsLeft(Api api) {
		String probe = api.submitId("{\"command\": [\"/bin/sleep\", \"300\"]}");
		Map<String, Path> run = parents(cgroupOf(pid(api.awaitRunning(probe))));
		api.client().delete().uri("/api/v1/jobs/{id}", probe).exchange().expectStatus().is2xxSuccessful();
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			ids.add(api.submitId("{\"command\": [\"/bin/sh\", \"-c\", \"/bin/sleep 0.05 & exit " + (i % 2) + "\"]}"));
		}
		ids.add(probe);
		ids.forEach(api::awaitEnd);
		Awaitility.await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
			List<String> slots = null;
			for (Map.Entry<String, Path> hierarchy : run.entrySet()) {
				List<String> left = childDirectories(hierarchy.getValue());
				assertThat(left).as(hierarchy.getKey()).doesNotContainAnyElementsOf(ids);
				assertThat(left).as(hierarchy.getKey())
					.hasSizeLessThanOrEqualTo(64)
					.allMatch((name) -> name.startsWith("slot-"))
					.allSatisfy(
							(name) -> assertThat(CgroupFiles.read(hierarchy.getValue().resolve(name), "cgroup.procs"))
								.as(name)
								.contains(""));
				if (slots != null) {
					assertThat(left).as(hierarchy.getKey()).containsExactlyInAnyOrderElementsOf(slots);
				}
				slots = left;
			}
		});
	}

	/**
	 * The {@code isolation} part of {@code /actuator/jobpools}: what the service found.
	 */
	static Map<String, Object> isolation(Api api) {
		return map(api.client()
			.get()
			.uri("/actuator/jobpools")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(Api.JSON)
			.returnResult()
			.getResponseBody()
			.get("isolation"));
	}

	/**
	 * The classic fork bomb in a job of the {@code confined} pool with a limit of 16
	 * processes: {@code pids.max} is written and reached, the service keeps answering
	 * within 2 s, and the job ends at its timeout with its cgroup removed. Its leader
	 * waits on a sleep started first, so that the job runs until its timeout.
	 */
	static void aForkBombIsCappedByPidsMaxWhileTheServiceAnswers(Api api) {
		String id = api.submitId("""
				{"pool": "confined", "command": ["/bin/bash", "-c", "sleep 300 & s=$!; :() { :|:& }; :; wait $s"],
				 "limits": {"processes": 16}, "timeout": "PT4S"}
				""");
		Map<String, Path> cgroup = cgroupOf(pid(api.awaitRunning(id)));
		Path pids = cgroup.getOrDefault("pids", cgroup.get(CgroupFiles.V2));
		assertThat(CgroupFiles.read(pids, "pids.max")).contains("16");
		Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> CgroupFiles.read(pids, "pids.events")
				.map((events) -> !events.matches("(?s)max 0\\b.*"))
				.orElse(false));
		for (int i = 0; i < 10; i++) {
			long askedAt = System.nanoTime();
			assertThat(api.statusOf("/actuator/health/liveness")).isEqualTo(200);
			assertThat(Duration.ofNanos(System.nanoTime() - askedAt)).isLessThan(Duration.ofSeconds(2));
		}
		assertThat(api.awaitEnd(id)).containsEntry("state", "TIMED_OUT");
		awaitReleased(cgroup);
	}

	/**
	 * Kills whatever {@code /bin/sleep <marker>} of {@code markers} is left, found by its
	 * command line (so that a reused pid is never hit), and forgets the markers.
	 */
	static void killMarked(List<Integer> markers) {
		for (ProcessTable.Entry entry : ProcessTable.all()) {
			String command = ProcessTable.cmdline(entry.pid());
			if (markers.stream().anyMatch((marker) -> command.equals("/bin/sleep\0" + marker + "\0"))) {
				ProcessControl.signalProcess(entry.pid(), ProcessControl.SIGKILL);
			}
		}
		markers.clear();
	}

	/** SIGTERM, so that the service removes its run's cgroup directories as it stops. */
	static void stopGracefully(ServiceProcess stopping) throws InterruptedException {
		try (stopping) {
			stopping.sigterm();
			stopping.awaitExit(Duration.ofSeconds(60));
		}
	}

	/**
	 * The README's escape in three jobs of {@code pool}: killed at the timeout, at cancel
	 * and at the job's end. Returns the job cgroups the escape of the last job was in.
	 */
	static Map<String, Path> escapeIsKilledAtTheTimeoutAtCancelAndAtTheJobsEnd(Api api, String pool, Path dir,
			List<Integer> markers) throws IOException {
		int atTimeout = marker();
		markers.add(atTimeout);
		String timedOut = api
			.submitId(job(pool, String.format(ESCAPE, atTimeout) + "; sleep 300", "\"timeout\": \"PT2S\""));
		int atCancel = marker();
		markers.add(atCancel);
		String cancelled = api.submitId(job(pool, String.format(ESCAPE, atCancel) + "; sleep 300", null));
		int atEnd = marker();
		markers.add(atEnd);
		Path go = dir.resolve("go-" + atEnd);
		String ended = api
			.submitId(job(pool, String.format(ESCAPE, atEnd) + "; while [ ! -e " + go + " ]; do sleep 0.05; done",
					"\"timeout\": \"PT60S\""));
		long escapedAtTimeout = awaitEscaped(api, timedOut, atTimeout);
		long escapedAtCancel = awaitEscaped(api, cancelled, atCancel);
		long escapedAtEnd = awaitEscaped(api, ended, atEnd);
		Map<String, Path> cgroup = cgroupOf(escapedAtEnd);

		api.client().delete().uri("/api/v1/jobs/{id}", cancelled).exchange().expectStatus().is2xxSuccessful();
		Files.createFile(go);

		assertThat(api.awaitEnd(timedOut)).containsEntry("state", "TIMED_OUT");
		assertThat(alive(escapedAtTimeout)).as("the escaped process, when its job timed out").isFalse();
		assertThat(api.awaitEnd(cancelled)).containsEntry("state", "CANCELLED");
		assertThat(alive(escapedAtCancel)).as("the escaped process, when its job was cancelled").isFalse();
		assertThat(api.awaitEnd(ended)).containsEntry("state", "SUCCEEDED");
		assertThat(alive(escapedAtEnd)).as("the escaped process, when its job ended").isFalse();
		return cgroup;
	}

	/**
	 * A service started with {@code wrapper} in front of {@code java}, whose job's
	 * escaped process outlives a SIGKILL of the service: the next start kills it and
	 * removes the crashed run's cgroup directories. Returns the job cgroups the escape
	 * was in.
	 */
	static Map<String, Path> aCrashedRunsCgroupsAreGoneAfterARestart(Path data, List<String> wrapper,
			List<Integer> markers) throws IOException, InterruptedException {
		int marker = marker();
		markers.add(marker);
		long escaped;
		Map<String, Path> cgroup;
		try (ServiceProcess crashing = ServiceProcess.start(data, wrapper)) {
			String id = crashing.api().submitId(job("process", String.format(ESCAPE, marker) + "; sleep 300", null));
			escaped = awaitEscaped(crashing.api(), id, marker);
			cgroup = cgroupOf(escaped);
			crashing.sigkill();
			crashing.awaitExit(Duration.ofSeconds(30));
		}
		assertThat(cgroup.values()).allMatch(Files::isDirectory);
		assertThat(alive(escaped)).as("the escaped process, after the crash and before the restart").isTrue();
		ServiceProcess restarted = ServiceProcess.start(data, wrapper);
		try {
			assertThat(restarted.api().statusOf("/actuator/health")).isEqualTo(200);
			assertThat(alive(escaped)).as("the escaped process of a job of the crashed run").isFalse();
			assertThat(cgroup.values()).noneMatch(Files::exists);
			assertThat(parents(cgroup).values()).noneMatch(Files::exists);
		}
		finally {
			stopGracefully(restarted);
		}
		return cgroup;
	}

	/**
	 * The wrapper in front of {@code java} that starts a service in a mount namespace of
	 * its own without the file systems mounted at {@code mountPoints} ({@code what} they
	 * are, for the reason of a skip); skips the tests where this machine cannot make one.
	 */
	static List<String> inMountNamespaceWithout(List<Path> mountPoints, String what)
			throws IOException, InterruptedException {
		StringBuilder script = new StringBuilder();
		for (Path point : mountPoints) {
			// Single-quoted for the shell.
			script.append("umount '").append(point.toString().replace("'", "'\\''")).append("' && ");
		}
		script.append("exec \"$0\" \"$@\"");
		List<String> wrapper = List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
				script.toString());
		List<String> probe = new ArrayList<>(wrapper);
		probe.add("/bin/true");
		Process probing = new ProcessBuilder(probe).redirectErrorStream(true).start();
		boolean ended = probing.waitFor(30, TimeUnit.SECONDS);
		if (!ended) {
			probing.destroyForcibly();
		}
		String output = ended ? new String(probing.getInputStream().readAllBytes()) : "unshare did not finish";
		if (!ended || probing.exitValue() != 0) {
			CgroupFiles.unavailable("a mount namespace without " + what + " could not be made here: " + output.trim());
		}
		return wrapper;
	}

	static List<String> childDirectories(Path directory) {
		try (var children = Files.list(directory)) {
			return children.filter(Files::isDirectory).map((child) -> child.getFileName().toString()).toList();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
