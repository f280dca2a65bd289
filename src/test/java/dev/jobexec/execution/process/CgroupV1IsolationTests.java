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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.jobexec.execution.process.CgroupJobs.childDirectories;
import static dev.jobexec.execution.process.CgroupJobs.job;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cgroup per job on a machine with cgroup v1 only, on this kernel's real v1
 * hierarchies: the service runs in a mount namespace of its own where the cgroup v2 file
 * system is unmounted, so it finds the v1 {@code memory}, {@code pids}, {@code cpu},
 * {@code cpuacct} and {@code freezer} hierarchies and nothing else, as on a v1-only host.
 * There a job is killed by freezing its cgroup, SIGKILLing every member and thawing it
 * (no {@code cgroup.kill}), its emptiness is read from {@code cgroup.procs} (no
 * {@code cgroup.events}) and its CPU time from {@code cpuacct}. Needs root, util-linux's
 * {@code unshare} and the v1 hierarchies. These machines and CI have them; a pure v2 host
 * cannot pretend to be v1, so there the tests skip with the reason, unless
 * {@code JOBEXEC_REQUIRE_CGROUPS} is set ({@code .ci/run} sets it), which makes a missing
 * hierarchy a failure.
 */
class CgroupV1IsolationTests {

	private static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct", "freezer");

	private static final String[] POOLS = { "--jobexec.pools.confined.type=process",
			"--jobexec.pools.confined.max-concurrency=3", "--jobexec.pools.confined.kill-grace=1s",
			"--jobexec.pools.confined.limits.memory=256MB", "--jobexec.pools.confined.limits.processes=64",
			"--jobexec.pools.confined.limits.cpu=1" };

	@TempDir
	static Path dir;

	private static ServiceProcess service;

	private static Api api;

	/** The wrapper in front of {@code java}: see {@link #v1Only()}. */
	private static List<String> v1Only;

	/**
	 * Markers of the escapes the tests started: whatever {@code /bin/sleep <marker>} is
	 * left is killed after each test, whatever it showed (found by its command line, so
	 * that a reused pid is never hit).
	 */
	private static final List<Integer> MARKERS = new CopyOnWriteArrayList<>();

	@BeforeAll
	static void startOnCgroupV1Only() throws Exception {
		CgroupJobs.requireCgroupsHere();
		v1Only = v1Only();
		service = ServiceProcess.start(Files.createDirectories(dir.resolve("v1")), v1Only, POOLS);
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
	void theServiceFindsCgroupV1AndTheCommandsFirstInstructionRunsInTheJobsCgroups() {
		Map<String, Object> isolation = CgroupJobs.isolation(api);
		assertThat(isolation).containsEntry("layout", "v1");
		assertThat((String) isolation.get("cgroups")).startsWith("cgroup v1: a cgroup per job in v1 ")
			.contains("freezer");
		assertThat(map(isolation.get("pools"))).containsEntry("confined", "cgroup per job");

		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/bin/cat", "/proc/self/cgroup"]}
				"""));
		assertThat(job).containsEntry("state", "SUCCEEDED");
		String id = (String) job.get("id");
		List<String> lines = ((String) map(job.get("stdout")).get("text")).lines().toList();
		// cat never forks: where it reads itself is where execve left it.
		for (String controller : V1_CONTROLLERS) {
			assertThat(lines).as(controller)
				.anyMatch((line) -> line
					.matches("\\d+:([^:]*,)?" + controller + "(,[^:]*)?:.*/jobexec/[^/]+/" + CgroupJobs.ownName(id)));
		}
		// Without a v2 file system the job stays in the service's v2 cgroup, which
		// nothing here uses.
		assertThat(lines).filteredOn((line) -> line.startsWith("0::")).noneMatch((line) -> line.contains("/jobexec/"));
	}

	@Test
	void aJobsLimitsAreWrittenToItsV1CgroupsAndUndoneWhenItEnds() {
		assertThat(CgroupJobs.limitsAreWrittenAndUndoneWhenTheJobIsCancelled(api)).containsOnlyKeys(V1_CONTROLLERS);
	}

	@Test
	void aMemoryHogEndsFailedWithTheMemoryReason() {
		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/usr/bin/tail", "/dev/zero"], "limits": {"memory": "32MB"}}
				"""));
		assertThat(job).containsEntry("state", "FAILED")
			.containsEntry("terminationReason", "MEMORY_LIMIT")
			.containsEntry("signal", 9);
		assertThat(((Number) map(job.get("usage")).get("peakMemory")).longValue()).isGreaterThan(16L << 20)
			.isLessThanOrEqualTo(32L << 20);
	}

	@Test
	void aForkBombIsCappedByPidsMaxAndEndsAtItsTimeout() {
		// Freezing a cgroup whose members fork as fast as they can, then killing them.
		CgroupJobs.aForkBombIsCappedByPidsMaxWhileTheServiceAnswers(api);
	}

	@Test
	void anEscapeFromGroupSessionAndEnvironmentIsKilledAtTheTimeoutAtCancelAndAtTheJobsEnd() throws Exception {
		CgroupJobs.escapeIsKilledAtTheTimeoutAtCancelAndAtTheJobsEnd(api, "confined", dir, MARKERS);
	}

	@Test
	void usageComesFromTheV1CgroupsAndAJobInAnEndedJobsSlotCountsOnlyItsOwn() {
		// CPU time from cpuacct (reset for each job), processes from a pids directory
		// that the busy job's peak had replaced.
		CgroupJobs.aJobInAnEndedJobsSlotCountsOnlyItsOwnUsage(api, "cpuacct", true);
	}

	@Test
	void noCgroupIsLeftAfterManyJobsButSlotsForLaterJobs() {
		CgroupJobs.runJobsAndCheckWhatIsLeft(api);
	}

	@Test
	void aCrashedRunsCgroupsAndWhatEscapedIntoThemAreGoneAfterARestart() throws Exception {
		Path data = Files.createDirectories(dir.resolve("crash"));
		assertThat(CgroupJobs.aCrashedRunsCgroupsAreGoneAfterARestart(data, v1Only, MARKERS)).containsKey("freezer");
	}

	// ---- helpers

	/**
	 * The wrapper that starts the service in a mount namespace without the cgroup v2 file
	 * system; skips the tests where this machine cannot give the service a v1-only view.
	 */
	private static List<String> v1Only() throws IOException, InterruptedException {
		Map<String, Path> own = CgroupFiles.of(ProcessHandle.current().pid());
		List<String> missing = V1_CONTROLLERS.stream().filter((controller) -> !own.containsKey(controller)).toList();
		if (!missing.isEmpty()) {
			CgroupFiles.unavailable(
					"this machine has no cgroup v1 hierarchy of " + missing + ", so it cannot run a v1-only service");
		}
		return CgroupJobs.inMountNamespaceWithout(CgroupFiles.v2MountPoints(), "cgroup v2");
	}

}
