package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.jobexec.support.Api;
import dev.jobexec.support.CgroupFiles;
import dev.jobexec.support.ServiceProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.jobexec.execution.process.CgroupJobs.job;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cgroup per job on a machine with cgroup v2 only, on this kernel's real cgroup v2 file
 * system: the service runs in a mount namespace of its own where every cgroup v1
 * hierarchy is unmounted, so it finds the cgroup v2 file system and nothing else, as on a
 * pure v2 host, and reports the layout {@code v2_root}. On these machines the kernel has
 * bound the {@code memory}, {@code pids} and {@code cpu} controllers to their v1
 * hierarchies, out of any namespace's reach, so this is cgroup v2 without them: a job's
 * v2 cgroup holds it from before its exec, {@code cgroup.kill} kills it whole, its
 * emptiness comes from {@code cgroup.events} and its CPU time from v2 {@code cpu.stat};
 * limits are refused with the reason, at submission and, for a pool's, at start. What
 * needs those controllers in v2 ({@code memory.max}, {@code memory.events},
 * {@code pids.max}, {@code cpu.max}, the peaks) is not exercised here. Needs root,
 * util-linux's {@code unshare} and a cgroup v2 file system; elsewhere the tests skip with
 * the reason, unless {@code JOBEXEC_REQUIRE_CGROUPS} is set ({@code .ci/run} sets it).
 */
class CgroupV2OnlyIsolationTests {

	private static final String[] POOLS = { "--jobexec.pools.confined.type=process",
			"--jobexec.pools.confined.max-concurrency=3", "--jobexec.pools.confined.kill-grace=1s",
			"--jobexec.pools.confined.isolation=required" };

	@TempDir
	static Path dir;

	private static ServiceProcess service;

	private static Api api;

	/** The wrapper in front of {@code java}: see {@link #v2Only()}. */
	private static List<String> v2Only;

	/**
	 * Markers of the escapes the tests started, killed after each test (by command line).
	 */
	private static final List<Integer> MARKERS = new CopyOnWriteArrayList<>();

	@BeforeAll
	static void startOnCgroupV2Only() throws Exception {
		CgroupJobs.requireCgroupsHere();
		v2Only = v2Only();
		service = ServiceProcess.start(Files.createDirectories(dir.resolve("v2")), v2Only, POOLS);
		api = service.api();
	}

	@AfterAll
	static void stop() throws InterruptedException {
		if (service != null) {
			CgroupJobs.stopGracefully(service);
		}
	}

	@AfterEach
	void killStrays() {
		CgroupJobs.killMarked(MARKERS);
	}

	@Test
	void theServiceFindsCgroupV2AloneAndTheCommandsFirstInstructionRunsInTheJobsCgroup() {
		Map<String, Object> isolation = CgroupJobs.isolation(api);
		assertThat(isolation).containsEntry("layout", "v2_root");
		assertThat((String) isolation.get("cgroups")).startsWith("cgroup v2, as root: a cgroup per job under ")
			.contains("(cgroup.kill")
			.doesNotContain("with v1")
			.endsWith("limits: none");
		assertThat(map(isolation.get("pools"))).containsEntry("confined", "cgroup per job");

		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/bin/cat", "/proc/self/cgroup"]}
				"""));
		assertThat(job).containsEntry("state", "SUCCEEDED");
		String id = (String) job.get("id");
		List<String> lines = ((String) map(job.get("stdout")).get("text")).lines().toList();
		// cat never forks: where it reads itself is where its spawn and execve left it.
		assertThat(lines).filteredOn((line) -> line.startsWith("0::"))
			.singleElement()
			.matches((line) -> line.matches("0::.*/jobexec/[^/]+/" + CgroupJobs.ownName(id)), "is a job cgroup");
		// The v1 hierarchies, which the kernel lists all the same, are the service's.
		assertThat(lines).filteredOn((line) -> !line.startsWith("0::")).noneMatch((line) -> line.contains("/jobexec/"));
	}

	@Test
	void limitsThatNoControllerHereCanEnforceAreRefusedAtSubmissionAndAtStart() throws Exception {
		Map<String, Object> refused = api
			.post("{\"pool\": \"confined\", \"command\": [\"/bin/true\"], \"limits\": {\"memory\": \"64MB\"}}")
			.getResponseBody();
		assertThat(refused).containsEntry("status", 400);
		assertThat((String) map(refused.get("errors")).get("limits")).contains("no memory controller");

		ServiceProcess.Failed failed = ServiceProcess.startExpectingFailure(
				Files.createDirectories(dir.resolve("limited")), v2Only, "--jobexec.pools.limited.type=process",
				"--jobexec.pools.limited.limits.processes=10");
		assertThat(failed.exitCode()).isNotZero();
		assertThat(failed.log()).contains("limits cannot be enforced").contains("no pids controller");
	}

	@Test
	void anEscapeFromGroupSessionAndEnvironmentIsKilledAtTheTimeoutAtCancelAndAtTheJobsEnd() throws Exception {
		assertThat(CgroupJobs.escapeIsKilledAtTheTimeoutAtCancelAndAtTheJobsEnd(api, "confined", dir, MARKERS))
			.as("the escaped process's job cgroups")
			.containsOnlyKeys(CgroupFiles.V2);
	}

	@Test
	void usageComesFromTheV2CpuStatAndNamesNoFigureItHasNoControllerFor() {
		Map<String, Object> busy = api.awaitEnd(api.submitId(job("confined",
				"timeout 0.3 sh -c 'while :; do :; done'; /bin/sleep 0.1 & /bin/sleep 0.1 & wait", null)));
		assertThat(busy).containsEntry("state", "SUCCEEDED");
		Map<String, Object> usage = map(busy.get("usage"));
		assertThat(usage).containsEntry("source", "cgroup");
		assertThat(Duration.parse((String) usage.get("cpuUser"))).isGreaterThan(Duration.ofMillis(100));
		assertThat(Duration.parse((String) usage.get("cpuSystem"))).isGreaterThanOrEqualTo(Duration.ZERO);
		// No memory or pids controller in v2 here: no memory.peak, no pids.peak.
		assertThat(usage).doesNotContainKeys("peakMemory", "processes");
	}

	@Test
	void aJobInAnEndedJobsSlotCountsOnlyItsOwnCpuTime() {
		CgroupJobs.aJobInAnEndedJobsSlotCountsOnlyItsOwnUsage(api, CgroupFiles.V2, false);
	}

	@Test
	void noCgroupIsLeftAfterManyJobs() {
		CgroupJobs.runJobsAndCheckWhatIsLeft(api);
	}

	@Test
	void aCrashedRunsCgroupsAndWhatEscapedIntoThemAreGoneAfterARestart() throws Exception {
		Path data = Files.createDirectories(dir.resolve("crash"));
		assertThat(CgroupJobs.aCrashedRunsCgroupsAreGoneAfterARestart(data, v2Only, MARKERS))
			.containsOnlyKeys(CgroupFiles.V2);
	}

	/**
	 * The wrapper that starts the service in a mount namespace without the cgroup v1
	 * hierarchies; skips the tests where this machine has no cgroup v2 file system, or
	 * one that offers this JVM's cgroup (the service's, once started) any of the
	 * {@code memory}, {@code pids} and {@code cpu} controllers: these tests check v2
	 * without them, and {@code IsolationTests} runs on whatever layout a machine has.
	 */
	private static List<String> v2Only() throws IOException, InterruptedException {
		Path own = CgroupFiles.of(ProcessHandle.current().pid()).get(CgroupFiles.V2);
		if (own == null) {
			CgroupFiles.unavailable("this machine has no cgroup v2 file system, so it cannot run a v2-only service");
		}
		String controllers = CgroupFiles.read(own, "cgroup.controllers").orElse("");
		List<String> offered = List.of(controllers.split("\\s+"));
		// Not a missing capability but another machine: skipped even where cgroups are
		// required.
		Assumptions.assumeFalse(offered.stream().anyMatch(List.of("memory", "pids", "cpu")::contains),
				() -> "cgroup v2 offers this service controllers (" + controllers
						+ "): these tests check v2 without memory, pids and cpu");
		return CgroupJobs.inMountNamespaceWithout(CgroupFiles.v1MountPoints(), "the cgroup v1 hierarchies");
	}

}
