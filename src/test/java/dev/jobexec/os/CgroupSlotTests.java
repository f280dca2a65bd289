package dev.jobexec.os;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.CgroupFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The reuse of an ended job's cgroup directories, a slot, by the next job, on this
 * machine's real cgroups with real processes in them: a run of the service of its own (no
 * idle slot yet), so that which directories a job gets is known. Where memory comes from
 * cgroup v2, nothing is reused and these tests are skipped with that reason.
 */
class CgroupSlotTests {

	private Cgroups cgroups;

	@TempDir
	Path dir;

	@BeforeEach
	void openARun() {
		cgroups = Cgroups.open();
		CgroupFiles.requireWritableCgroups(cgroups.layout().name().toLowerCase(Locale.ROOT));
		assumeThat(cgroups.slots()).as("job cgroups kept as slots here: " + cgroups.description()).isTrue();
		// These tests read the v1 memory and cpu files.
		assumeThat(cgroups.layout()).as("memory and cpu from cgroup v1: " + cgroups.description())
			.isIn(Cgroups.Layout.HYBRID, Cgroups.Layout.V1);
	}

	@AfterEach
	void closeTheRun() {
		if (cgroups != null && cgroups.usable()) {
			cgroups.close();
		}
	}

	@Test
	void anEndedJobsSlotIsTakenWholeByTheNextJob() throws Exception {
		JobCgroup first = cgroups.create("first", null, null, null);
		assertThat(first.name()).startsWith(Cgroups.SLOT_PREFIX);
		List<Path> directories = first.directories();
		List<Long> inodes = inodes(first);
		// One process at a time: the pids directory is kept too.
		runIn(first, "exec /bin/true");
		assertThat(first.remove()).isTrue();
		assertThat(directories).allMatch(Files::isDirectory);
		assertThat(cgroups.idleSlots()).isEqualTo(1);

		JobCgroup second = cgroups.create("second", null, null, null);
		assertThat(cgroups.idleSlots()).isZero();
		assertThat(second.name()).isEqualTo(first.name());
		assertThat(second.directories()).isEqualTo(directories);
		assertThat(inodes(second)).isEqualTo(inodes);
		runIn(second, "exec /bin/true");
		assertThat(second.usage().processes()).as("pids.peak").isIn(null, 1L);
		assertThat(second.remove()).isTrue();
	}

	@Test
	void aSlotWhosePidsPeakWentAboveOneGetsANewPidsDirectory() throws Exception {
		JobCgroup forking = cgroups.create("forking", null, null, null);
		Path pids = pidsDirectory(forking);
		assumeThat(CgroupFiles.read(pids, "pids.peak")).as("pids.peak in " + pids).isPresent();
		long pidsInode = inode(pids);
		List<Long> inodes = inodes(forking);
		// Two processes at once: sh and its child.
		runIn(forking, "/bin/true & wait");
		assertThat(forking.usage().processes()).isEqualTo(2);
		assertThat(forking.remove()).isTrue();

		JobCgroup next = cgroups.create("next", null, null, null);
		assertThat(next.directories()).isEqualTo(forking.directories());
		assertThat(inode(pids)).as("a new pids directory").isNotEqualTo(pidsInode);
		List<Long> others = new ArrayList<>(inodes(next));
		others.remove(Long.valueOf(inode(pids)));
		List<Long> before = new ArrayList<>(inodes);
		before.remove(Long.valueOf(pidsInode));
		assertThat(others).as("the other directories, kept").isEqualTo(before);
		runIn(next, "exec /bin/true");
		assertThat(next.usage().processes()).isEqualTo(1);
		assertThat(next.remove()).isTrue();
	}

	@Test
	void anEndedJobsCgroupNoLongerReachesItsSlotOnceTheNextJobHasIt() throws Exception {
		JobCgroup first = cgroups.create("first", null, null, null);
		runIn(first, "exec /bin/true");
		assertThat(first.remove()).isTrue();
		JobCgroup second = cgroups.create("second", null, null, null);
		assertThat(second.name()).isEqualTo(first.name());
		Process sleeper = startIn(second, "exec /bin/sleep 300");
		try {
			assertThat(second.populated()).isTrue();
			// A kill of the ended job that comes late (its timeout or a cancel that
			// raced with its end).
			first.kill();
			assertThat(first.signal(15)).isZero();
			assertThat(first.populated()).isFalse();
			assertThat(first.members()).isEmpty();
			assertThat(sleeper.waitFor(500, TimeUnit.MILLISECONDS)).as("the next job's process ended").isFalse();
			assertThat(second.members()).contains(sleeper.pid());
		}
		finally {
			sleeper.destroyForcibly().waitFor();
		}
		assertThat(second.awaitEmpty(5_000)).isTrue();
		assertThat(second.remove()).isTrue();
	}

	@Test
	void aReusedCgroupCarriesNoLimitPeakOrMemoryKillOver() throws Exception {
		// Without swap accounting, a host with swap pages the hog out instead of killing
		// it.
		assumeThat(cgroups.runDirectories()
			.stream()
			.anyMatch((run) -> Files.exists(run.resolve("memory.memsw.limit_in_bytes")))
				|| Files.readAllLines(Path.of("/proc/swaps")).size() <= 1)
			.as("swap accounted, or no swap")
			.isTrue();
		JobCgroup hog = cgroups.create("hog", 32L << 20, 20, 0.5);
		long memory = inode(v1(hog, "memory"));
		// tail keeps the last line of /dev/zero, which has no line end: killed at 32 MB.
		assertThat(runIn(hog, "/usr/bin/tail /dev/zero")).as("128 + SIGKILL").isEqualTo(137);
		assertThat(hog.memoryKills()).isEqualTo(1);
		assertThat(hog.killedAtMemoryLimit()).isTrue();
		assertThat(hog.usage().peakMemory()).isGreaterThan(16L << 20);
		Duration hogCpu = hog.usage().cpuUser().plus(hog.usage().cpuSystem());
		assertThat(hogCpu).isPositive();
		assertThat(hog.remove()).isTrue();
		assertThat(cgroups.idleSlots()).isEqualTo(1);

		JobCgroup next = cgroups.create("next", 64L << 20, null, null);
		assertThat(cgroups.idleSlots()).isZero();
		assertThat(inode(v1(next, "memory"))).as("the hog's memory cgroup").isEqualTo(memory);
		assertThat(read(v1(next, "memory"), "memory.limit_in_bytes")).isEqualTo(Long.toString(64L << 20));
		assertThat(read(v1(next, "memory"), "memory.failcnt")).isEqualTo("0");
		assertThat(read(v1(next, "cpu"), "cpu.cfs_quota_us")).isEqualTo("-1");
		assertThat(read(pidsDirectory(next), "pids.max")).isEqualTo("max");
		assertThat(runIn(next, "exit 1")).isEqualTo(1);
		assertThat(next.memoryKills()).isZero();
		assertThat(next.killedAtMemoryLimit()).isFalse();
		assertThat(next.usage().peakMemory()).isLessThan(8L << 20);
		// The hog's CPU time (filling 32 MB) is not the next job's.
		assertThat(next.usage().cpuUser().plus(next.usage().cpuSystem())).isLessThan(hogCpu);
		assertThat(next.remove()).isTrue();

		JobCgroup unlimited = cgroups.create("unlimited", null, null, null);
		assertThat(inode(v1(unlimited, "memory"))).isEqualTo(memory);
		assertThat(Long.parseLong(read(v1(unlimited, "memory"), "memory.limit_in_bytes"))).isGreaterThan(1L << 40);
		unlimited.remove();
	}

	@Test
	void aJobThatLeavesMemoryChargedGetsItsCgroupRemovedNotReused() throws Exception {
		JobCgroup writer = cgroups.create("writer", null, null, null);
		long memory = inode(v1(writer, "memory"));
		// The file's pages stay in the page cache, charged to the job's memory cgroup.
		runIn(writer, "/bin/dd if=/dev/zero of=" + dir.resolve("cache") + " bs=1M count=8 status=none");
		assertThat(Long.parseLong(read(v1(writer, "memory"), "memory.usage_in_bytes")))
			.isGreaterThan(Cgroups.REUSABLE_RESIDUE);
		assertThat(writer.remove()).isTrue();
		assertThat(writer.directories()).noneMatch(Files::exists);
		assertThat(cgroups.idleSlots()).isZero();

		JobCgroup next = cgroups.create("next", null, null, null);
		assertThat(inode(v1(next, "memory"))).isNotEqualTo(memory);
		next.remove();
	}

	@Test
	void aCgroupThatStillHoldsAProcessIsNeitherReusedNorRemoved() throws Exception {
		JobCgroup busy = cgroups.create("busy", null, null, null);
		Process sleeper = startIn(busy, "exec /bin/sleep 300");
		try {
			assertThat(busy.remove()).isFalse();
			assertThat(cgroups.idleSlots()).isZero();
			assertThat(v1(busy, "memory")).exists();
		}
		finally {
			sleeper.destroyForcibly().waitFor();
		}
		assertThat(busy.awaitEmpty(5_000)).isTrue();
		assertThat(busy.remove()).isTrue();
		assertThat(cgroups.idleSlots()).isEqualTo(1);
	}

	@Test
	void aProcessThatJoinsAnIdleSlotIsKilledWithItNotHandedToTheNextJob() throws Exception {
		// Each directory is checked its own way: cgroup.procs (memory), pids.current
		// (pids), cgroup.events (v2).
		for (String hierarchy : List.of("memory", "pids", "v2")) {
			JobCgroup first = cgroups.create("first", null, null, null);
			Path slot = hierarchy.equals("v2") ? first.v2Directory() : v1(first, hierarchy);
			assumeThat(slot).as(hierarchy + " directory").isNotNull();
			runIn(first, "/bin/true");
			assertThat(first.remove()).isTrue();
			assertThat(cgroups.idleSlots()).isEqualTo(1);
			// What a job that may write the service's cgroup files could do after its
			// end.
			Process intruder = new ProcessBuilder("/bin/sleep", "300").start();
			Cgroups.write(slot.resolve("cgroup.procs"), Long.toString(intruder.pid()));

			JobCgroup next = cgroups.create("next", null, null, null);
			assertThat(intruder.waitFor(10, TimeUnit.SECONDS)).as("the intruder in " + hierarchy + " is killed")
				.isTrue();
			assertThat(next.name()).isNotEqualTo(first.name());
			assertThat(first.directories()).noneMatch(Files::exists);
			assertThat(next.directories()).doesNotContain(slot);
			assertThat(cgroups.idleSlots()).isZero();
			assertThat(next.discard()).isTrue();
		}
	}

	@Test
	void aSlotWhoseLimitCannotBeWrittenIsRemovedNotKeptForTheNextJob() throws Exception {
		JobCgroup first = cgroups.create("first", null, null, null);
		runIn(first, "/bin/true");
		assertThat(first.remove()).isTrue();
		assertThat(cgroups.idleSlots()).isEqualTo(1);
		// A limit below what the ended job left charged (kernel objects the kernel cannot
		// reclaim): the kernel refuses it.
		assertThatThrownBy(() -> cgroups.create("tiny", 4096L, null, null)).isInstanceOf(IOException.class);
		assertThat(cgroups.idleSlots()).isZero();
		try (var left = Files.list(v1(first, "memory").getParent())) {
			assertThat(left.filter(Files::isDirectory)).isEmpty();
		}
	}

	/**
	 * Runs {@code command} (through sh) in the cgroup, moved in while sh waits on its
	 * stdin, before the command runs; returns its exit code (128 + the signal that ended
	 * it).
	 */
	private static int runIn(JobCgroup cgroup, String command) throws Exception {
		Process process = startIn(cgroup, command);
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(command).isTrue();
		return process.exitValue();
	}

	private static Process startIn(JobCgroup cgroup, String command) throws IOException {
		Process process = new ProcessBuilder("/bin/sh", "-c", "read go; " + command).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.start();
		String pid = Long.toString(process.pid());
		if (cgroup.v2Directory() != null) {
			Cgroups.write(cgroup.v2Directory().resolve("cgroup.procs"), pid);
		}
		for (Path procs : cgroup.v1Procs()) {
			Cgroups.write(procs, pid);
		}
		try (OutputStream stdin = process.getOutputStream()) {
			stdin.write('\n');
		}
		return process;
	}

	private static Path v1(JobCgroup cgroup, String controller) {
		return cgroup.v1Directory(controller);
	}

	private static Path pidsDirectory(JobCgroup cgroup) {
		return (v1(cgroup, "pids") != null) ? v1(cgroup, "pids") : cgroup.v2Directory();
	}

	private static List<Long> inodes(JobCgroup cgroup) throws IOException {
		List<Long> inodes = new ArrayList<>();
		for (Path directory : cgroup.directories()) {
			inodes.add(inode(directory));
		}
		return inodes;
	}

	private static long inode(Path directory) throws IOException {
		return ((Number) Files.getAttribute(directory, "unix:ino")).longValue();
	}

	private static String read(Path directory, String file) throws IOException {
		return Files.readString(directory.resolve(file)).trim();
	}

}
