package dev.jobexec.execution.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.support.Api;
import dev.jobexec.support.CgroupFiles;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import static dev.jobexec.execution.process.CgroupJobs.ESCAPE;
import static dev.jobexec.execution.process.CgroupJobs.alive;
import static dev.jobexec.execution.process.CgroupJobs.awaitReleased;
import static dev.jobexec.execution.process.CgroupJobs.cgroupOf;
import static dev.jobexec.execution.process.CgroupJobs.cpuQuota;
import static dev.jobexec.execution.process.CgroupJobs.file;
import static dev.jobexec.execution.process.CgroupJobs.job;
import static dev.jobexec.execution.process.CgroupJobs.marker;
import static dev.jobexec.execution.process.CgroupJobs.memoryLimit;
import static dev.jobexec.execution.process.CgroupJobs.parents;
import static dev.jobexec.support.Api.map;
import static dev.jobexec.support.Api.pid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cgroup per process job, checked in the kernel's files: {@code /proc/<pid>/cgroup},
 * the limits and counters in the job's cgroup directories, and {@code /proc} for what is
 * left. Its own context adds a {@code confined} pool with limits and the shared
 * {@code pair} pool runs without cgroups ({@code isolation=off}). Root and writable
 * cgroups are checked for before the context starts.
 */
@JobexecHttpTest
@TestPropertySource(properties = { "jobexec.pools.confined.type=process", "jobexec.pools.confined.max-concurrency=3",
		"jobexec.pools.confined.kill-grace=1s", "jobexec.pools.confined.limits.memory=256MB",
		"jobexec.pools.confined.limits.processes=64", "jobexec.pools.confined.limits.cpu=1" })
class IsolationTests {

	@Autowired
	Api api;

	@Autowired
	JobIsolation isolation;

	@TempDir
	Path dir;

	/** Escaped processes the tests found, killed after each test whatever it showed. */
	private static final List<Long> STRAYS = new java.util.concurrent.CopyOnWriteArrayList<>();

	@BeforeAll
	static void cgroupsHere() {
		CgroupJobs.requireCgroupsHere();
	}

	@BeforeEach
	void theServiceUsesThem() {
		assertThat(isolation.snapshot().pools()).containsEntry("confined", "cgroup per job")
			.containsEntry("pair", "no cgroup");
	}

	@AfterEach
	void killStrays() {
		STRAYS.forEach((pid) -> ProcessControl.signalProcess(pid, ProcessControl.SIGKILL));
		STRAYS.clear();
	}

	@Test
	void theCommandsFirstInstructionRunsInTheJobsCgroup() {
		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/bin/cat", "/proc/self/cgroup"]}
				"""));
		assertThat(job).containsEntry("state", "SUCCEEDED");
		String cgroups = (String) map(job.get("stdout")).get("text");
		String id = (String) job.get("id");
		// cat never forks: what it reads is where execve left it, put there before it
		// ran. In the v2 hierarchy, and in the v1 memory and pids ones where this machine
		// has them (hybrid, v1).
		List<String> inJobCgroup = cgroups.lines()
			.filter((line) -> line.matches(".*/jobexec/[^/]+/" + CgroupJobs.ownName(id)))
			.toList();
		Map<String, Path> here = CgroupFiles.of(ProcessHandle.current().pid());
		if (here.containsKey(CgroupFiles.V2)) {
			assertThat(inJobCgroup).as(cgroups).anyMatch((line) -> line.startsWith("0::"));
		}
		for (String controller : List.of("memory", "pids")) {
			if (here.containsKey(controller)) {
				assertThat(inJobCgroup).as(cgroups)
					.anyMatch((line) -> line.matches("\\d+:[^:]*" + controller + "[^:]*:.*"));
			}
		}
		assertThat(inJobCgroup).as(cgroups).isNotEmpty();
	}

	@Test
	void aJobsLimitsAreWrittenToItsCgroupAndUndoneWhenItEnds() {
		CgroupJobs.limitsAreWrittenAndUndoneWhenTheJobIsCancelled(api);
	}

	@Test
	void aJobWithoutLimitsGetsItsPools() {
		String id = api.submitId("""
				{"pool": "confined", "command": ["/bin/sleep", "300"]}
				""");
		Map<String, Path> cgroup = cgroupOf(pid(api.awaitRunning(id)));
		assertThat(memoryLimit(cgroup)).isEqualTo(256L << 20);
		assertThat(file(cgroup, "pids", "pids.max")).isEqualTo("64");
		assertThat(cpuQuota(cgroup)).isEqualTo("100000 100000");
		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		api.awaitEnd(id);
		awaitReleased(cgroup);
	}

	@Test
	void eachAttemptOfARetriedJobHasACgroupOfItsOwnEvenWithoutBackoff() throws Exception {
		// Each attempt writes where it ran; the next one starts at once.
		String id = api.submitId(job("process", "cat /proc/self/cgroup > " + dir + "/cgroup-$(date +%s%N); exit 3",
				"\"retry\": {\"maxAttempts\": 3, \"backoff\": \"PT0S\", \"on\": [\"FAILED\"]}"));
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "FAILED").containsEntry("exitCode", 3);
		assertThat(Api.list(job.get("attempts"))).extracting((attempt) -> attempt.get("state"))
			.containsExactly("FAILED", "FAILED", "FAILED");
		List<String> cgroups = new ArrayList<>();
		try (var files = Files.list(dir)) {
			for (Path file : files.filter((f) -> f.getFileName().toString().startsWith("cgroup-")).sorted().toList()) {
				String v2 = Files.readAllLines(file)
					.stream()
					.filter((line) -> line.startsWith("0::"))
					.findFirst()
					.orElseThrow();
				cgroups.add(v2.substring(v2.lastIndexOf('/') + 1));
			}
		}
		// A slot each (an ended attempt's slot may be the next one's), or, where job
		// cgroups are not slots, directories named after each attempt.
		assertThat(cgroups).hasSize(3)
			.allMatch((name) -> name.matches("slot-\\d+") || name.matches(Pattern.quote(id) + "(\\.[23])?"));
		if (!cgroups.getFirst().startsWith("slot-")) {
			assertThat(cgroups).containsExactly(id, id + ".2", id + ".3");
		}
		// Where this run's job cgroups are: beside a job that runs now.
		String probe = api.submitId("{\"command\": [\"/bin/sleep\", \"300\"]}");
		Map<String, Path> run = parents(cgroupOf(pid(api.awaitRunning(probe))));
		api.client().delete().uri("/api/v1/jobs/{id}", probe).exchange().expectStatus().is2xxSuccessful();
		Awaitility.await()
			.atMost(Duration.ofSeconds(15))
			.untilAsserted(() -> assertThat(run.values())
				.allSatisfy((directory) -> assertThat(List.of(id, id + ".2", id + ".3"))
					.allSatisfy((name) -> assertThat(directory.resolve(name)).doesNotExist())));
	}

	@Test
	void askingForMoreThanThePoolAllowsIsA400NamingTheLimit() {
		Map<String, Object> problem = api.post("""
				{"pool": "confined", "command": ["/bin/true"],
				 "limits": {"memory": "1GB", "processes": 65, "cpu": 2}}
				""").getResponseBody();
		assertThat(problem).containsEntry("status", 400);
		assertThat(map(problem.get("errors"))).containsKeys("limits.memory", "limits.processes", "limits.cpu");
		assertThat((String) map(problem.get("errors")).get("limits.memory")).contains("256MB");

		Map<String, Object> withoutCgroups = api.post("""
				{"pool": "pair", "command": ["/bin/true"], "limits": {"memory": "64MB"}}
				""").getResponseBody();
		assertThat(withoutCgroups).containsEntry("status", 400);
		assertThat((String) map(withoutCgroups.get("errors")).get("limits")).contains("cgroup");
	}

	@Test
	void aMemoryHogEndsFailedWithTheMemoryReason() {
		double killsBefore = memoryKills();
		// tail keeps the last line of its input: /dev/zero has no line end, so it grows
		// without bound.
		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/usr/bin/tail", "/dev/zero"], "limits": {"memory": "32MB"}}
				"""));
		assertThat(job).containsEntry("state", "FAILED")
			.containsEntry("terminationReason", "MEMORY_LIMIT")
			.containsEntry("signal", 9);
		assertThat((String) job.get("error")).contains("memory limit of 32MB");
		assertThat(((Number) map(job.get("usage")).get("peakMemory")).longValue()).isGreaterThan(16L << 20)
			.isLessThanOrEqualTo(32L << 20);
		assertThat(memoryKills()).isEqualTo(killsBefore + 1);
	}

	@Test
	void aMemoryHogBelowTheLeaderNamesTheMemoryLimitToo() {
		Map<String, Object> job = api.awaitEnd(api.submitId("""
				{"pool": "confined", "command": ["/bin/sh", "-c", "head -c 400000000 /dev/zero | tail"],
				 "limits": {"memory": "32MB"}}
				"""));
		assertThat(job).containsEntry("state", "FAILED")
			.containsEntry("terminationReason", "MEMORY_LIMIT")
			.containsEntry("exitCode", 137);
	}

	@Test
	void aForkBombIsCappedByPidsMaxWhileTheServiceAnswers() {
		CgroupJobs.aForkBombIsCappedByPidsMaxWhileTheServiceAnswers(api);
	}

	@Test
	void anEscapeFromGroupSessionAndEnvironmentIsKilledAtTheTimeout() {
		int marker = marker();
		String id = api
			.submitId(job("confined", String.format(ESCAPE, marker) + "; sleep 300", "\"timeout\": \"PT2S\""));
		long escaped = awaitEscaped(id, marker);
		assertThat(api.awaitEnd(id)).containsEntry("state", "TIMED_OUT");
		assertThat(alive(escaped)).as("the escaped process, when its job timed out").isFalse();
	}

	@Test
	void anEscapeFromGroupSessionAndEnvironmentIsKilledAtCancel() {
		int marker = marker();
		String id = api.submitId(job("confined", String.format(ESCAPE, marker) + "; sleep 300", null));
		long escaped = awaitEscaped(id, marker);
		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		assertThat(api.awaitEnd(id)).containsEntry("state", "CANCELLED");
		assertThat(alive(escaped)).as("the escaped process, when its job was cancelled").isFalse();
	}

	@Test
	void anEscapeFromGroupSessionAndEnvironmentIsKilledAtTheJobsEnd() throws Exception {
		int marker = marker();
		Path go = dir.resolve("go");
		// The leader exits 0 once the test has seen the escaped process.
		String id = api.submitId(job("confined",
				String.format(ESCAPE, marker) + "; while [ ! -e " + go + " ]; do sleep 0.05; done", null));
		long escaped = awaitEscaped(id, marker);
		Files.createFile(go);
		assertThat(api.awaitEnd(id)).containsEntry("state", "SUCCEEDED");
		assertThat(alive(escaped)).as("the escaped process, when its job ended").isFalse();
	}

	@Test
	void withoutACgroupTheSameEscapeOutlivesItsJob() {
		// What isolation=off gives: the reason the cgroup exists.
		int marker = marker();
		String id = api.submitId(job("pair", String.format(ESCAPE, marker) + "; sleep 300", "\"timeout\": \"PT1S\""));
		long escaped = awaitEscaped(id, marker);
		assertThat(api.awaitEnd(id)).containsEntry("state", "TIMED_OUT");
		assertThat(alive(escaped)).as("the escaped process of a job without a cgroup").isTrue();
	}

	@Test
	void usageComesFromTheCgroupOrWithoutOneFromRusage() {
		String work = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; /bin/sleep 0.1 & /bin/sleep 0.1 & wait";
		Map<String, Object> confined = api.awaitEnd(api.submitId(job("process", work, null)));
		Map<String, Object> usage = map(confined.get("usage"));
		assertThat(usage).containsEntry("source", "cgroup");
		assertThat(Duration.parse((String) usage.get("cpuUser"))).isPositive();
		assertThat(Duration.parse((String) usage.get("cpuSystem"))).isGreaterThanOrEqualTo(Duration.ZERO);
		assertThat(((Number) usage.get("peakMemory")).longValue()).isPositive();
		assertThat(((Number) usage.get("processes")).longValue()).isGreaterThanOrEqualTo(3);

		Map<String, Object> unconfined = api.awaitEnd(api.submitId(job("pair", work, null)));
		Map<String, Object> rusage = map(unconfined.get("usage"));
		assertThat(rusage).containsEntry("source", "rusage").doesNotContainKey("processes");
		assertThat(Duration.parse((String) rusage.get("cpuUser"))).isPositive();
		assertThat(((Number) rusage.get("peakMemory")).longValue()).isPositive();

		String scrape = api.scrape();
		assertThat(scrape)
			.containsPattern("jobexec_jobs_cpu_seconds_count\\{[^}]*pool=\"process\"[^}]*source=\"cgroup\"")
			.containsPattern("jobexec_jobs_cpu_seconds_count\\{[^}]*pool=\"pair\"[^}]*source=\"rusage\"")
			.containsPattern("jobexec_jobs_memory_peak_bytes_count\\{[^}]*pool=\"process\"");
	}

	@Test
	void aJobInAnEndedJobsSlotCountsOnlyItsOwnUsage() {
		// CPU time from the v2 cpu.stat (as a difference), processes from the v1 pids
		// directory, which the busy job's peak had replaced.
		CgroupJobs.aJobInAnEndedJobsSlotCountsOnlyItsOwnUsage(api, CgroupFiles.V2, true);
	}

	@Test
	void noCgroupIsLeftAfterManyJobsButSlotsForLaterJobs() {
		CgroupJobs.runJobsAndCheckWhatIsLeft(api);
	}

	@Test
	void aCrashedRunsCgroupsAndWhatEscapedIntoThemAreGoneAfterARestart() throws Exception {
		int marker = marker();
		long escaped;
		Map<String, Path> cgroup;
		try (ServiceProcess service = ServiceProcess.start(dir, List.of())) {
			Api crashing = service.api();
			String id = crashing.submitId(job("process", String.format(ESCAPE, marker) + "; sleep 300", null));
			escaped = CgroupJobs.awaitEscaped(crashing, id, marker);
			STRAYS.add(escaped);
			cgroup = cgroupOf(escaped);
			service.sigkill();
			service.awaitExit(Duration.ofSeconds(30));
		}
		// The crash guard ends what it can tie to the job; the cgroups stay until a run
		// removes them.
		assertThat(cgroup.values()).allMatch(Files::isDirectory);
		assertThat(alive(escaped)).as("the escaped process, after the crash and before the restart").isTrue();
		try (ServiceProcess restarted = ServiceProcess.start(dir, List.of())) {
			assertThat(restarted.api().statusOf("/actuator/health")).isEqualTo(200);
			assertThat(alive(escaped)).as("the escaped process of a job of the crashed run").isFalse();
			assertThat(cgroup.values()).noneMatch(Files::exists);
			assertThat(parents(cgroup).values()).noneMatch(Files::exists);
		}
	}

	// ---- helpers

	private long awaitEscaped(String id, int marker) {
		long escaped = CgroupJobs.awaitEscaped(api, id, marker);
		STRAYS.add(escaped);
		return escaped;
	}

	private double memoryKills() {
		return api.scrape()
			.lines()
			.filter((line) -> line.startsWith("jobexec_jobs_memory_limit_kills_total{")
					&& line.contains("pool=\"confined\""))
			.mapToDouble((line) -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
			.sum();
	}

}
