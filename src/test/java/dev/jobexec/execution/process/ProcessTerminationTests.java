package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static dev.jobexec.support.Api.map;
import static dev.jobexec.support.Api.pid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real processes with grandchildren; {@code /proc} is the witness that whole groups die.
 */
@JobexecHttpTest
class ProcessTerminationTests {

	/** A job whose shell starts two grandchildren and waits for them. */
	private static final String FAMILY = "\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & sleep 300 & wait\"]";

	@Autowired
	Api api;

	@Test
	void timedOutJobKillsItsGrandchildren() {
		String id = api.submitId("{" + FAMILY + ",\"timeout\":\"PT1S\"}");
		long pgid = pid(api.awaitRunning(id));
		awaitLiveMembers(pgid, 3);

		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "TIMED_OUT").containsEntry("terminationReason", "TIMEOUT");
		assertThat(ProcessTable.liveMembers(pgid)).isEmpty();
		assertThat(descendantsOf(pgid)).isEmpty();
	}

	@Test
	void cancelledJobKillsItsWholeGroup() {
		String id = api.submitId("{" + FAMILY + "}");
		long pgid = pid(api.awaitRunning(id));
		awaitLiveMembers(pgid, 3);

		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "CANCELLED").containsEntry("terminationReason", "CANCELLED");
		assertThat(ProcessTable.liveMembers(pgid)).isEmpty();
	}

	@Test
	void aTimedOutJobRanAtLeastItsTimeoutByItsOwnStartedAt() {
		for (int i = 0; i < 5; i++) {
			Map<String, Object> job = api.awaitEnd(api.submitId("""
					{"command": ["/bin/sleep", "30"], "timeout": "PT0.3S"}
					"""));
			assertThat(job).containsEntry("state", "TIMED_OUT");
			java.time.Duration ran = java.time.Duration.between(java.time.Instant.parse((String) job.get("startedAt")),
					java.time.Instant.parse((String) job.get("finishedAt")));
			assertThat(ran).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(300));
		}
	}

	@Test
	void groupThatIgnoresSigtermIsKilledAfterTheGrace() {
		String id = api.submitId("""
				{"command": ["/bin/sh", "-c", "trap '' TERM; sleep 300 & sleep 300"], "timeout": "PT0.5S"}
				""");
		long pgid = pid(api.awaitRunning(id));
		awaitLiveMembers(pgid, 3);

		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "TIMED_OUT").containsEntry("signal", 9).containsEntry("exitCode", 137);
		assertThat(ProcessTable.liveMembers(pgid)).isEmpty();
	}

	@Test
	void eachJobRunsInItsOwnSessionAndGroup() {
		String id = api.submitId("{\"command\":[\"/bin/sleep\",\"30\"]}");
		long pid = pid(api.awaitRunning(id));
		ProcessTable.Entry entry = ProcessTable.read(pid).orElseThrow();
		assertThat(entry.pgid()).isEqualTo(pid);
		assertThat(entry.ppid()).isEqualTo(ProcessHandle.current().pid());
		assertThat(entry.command()).isEqualTo("sleep");
		api.client().delete().uri("/api/v1/jobs/{id}", id).exchange().expectStatus().is2xxSuccessful();
		assertThat(api.awaitEnd(id)).containsEntry("state", "CANCELLED").containsEntry("signal", 15);
	}

	@Test
	void backgroundProcessesLeftBehindEndWithTheJob() {
		String id = api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & echo $!\"]}");
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "SUCCEEDED");
		long leftOver = Long.parseLong(((String) map(job.get("stdout")).get("text")).trim());
		Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> ProcessTable.read(leftOver).map(ProcessTable.Entry::isZombie).orElse(true));
		assertThat(ProcessTable.liveMembers(pid(job))).isEmpty();
	}

	@Test
	void aMemberThatNamesItselfInBytesThatAreNotUtf8StillEndsWithAJobWithoutACgroup() throws Exception {
		// The pool without cgroups finds a job's members in /proc alone; a member named
		// "\377x" (a name is any 15 bytes) must not be invisible there. It waits on a
		// FIFO in the shell itself, with no child that would give the group away; the
		// leader ends only once the member has renamed itself, so that the service
		// never sees it by its old name.
		String id = api.submitId(
				"""
						{"pool": "pair", "timeout": "PT30S", "command": ["/bin/sh", "-c",
						 "f=$(mktemp -u); mkfifo $f; (printf '\\\\377x' > /proc/self/comm; read x < $f) & i=0; until grep -q x /proc/$!/comm; do i=$((i+1)); [ $i -lt 2000 ] || exit 3; done; echo $! $f"]}
						""");
		Map<String, Object> job = api.awaitEnd(id);
		String[] printed = ((String) map(job.get("stdout")).get("text")).trim().split(" ");
		long member = Long.parseLong(printed[0]);
		Path fifo = Path.of(printed[1]);
		try {
			assertThat(job).containsEntry("state", "SUCCEEDED");
			// Read from /proc here as bytes, not through ProcessTable, which is under
			// test.
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> goneOrZombie(member));
		}
		finally {
			if (!goneOrZombie(member)) {
				new ProcessBuilder("kill", "-9", Long.toString(member)).start().waitFor();
			}
			Files.deleteIfExists(fifo);
		}
	}

	private static boolean goneOrZombie(long pid) throws IOException {
		try {
			String status = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "status")),
					StandardCharsets.ISO_8859_1);
			return status.contains("\nState:\tZ");
		}
		catch (NoSuchFileException ex) {
			return true;
		}
	}

	@Test
	void chattyProcessKeepsHeadAndTailOfA200MegabyteStream() {
		String id = api.submitId("""
				{"command": ["/bin/sh", "-c", "echo START; head -c 209715200 /dev/zero | tr '\\\\0' x; echo; echo END"]}
				""");
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "SUCCEEDED");
		Map<String, Object> stdout = map(job.get("stdout"));
		assertThat(((Number) stdout.get("bytes")).longValue()).isEqualTo(6 + 209_715_200L + 1 + 4);
		assertThat(stdout).containsEntry("truncated", true);
		String text = (String) stdout.get("text");
		assertThat(text).startsWith("START\nxxx").endsWith("xxx\nEND\n").contains("bytes omitted");
		assertThat(text.length()).isLessThan(1_100_000);
	}

	@Test
	void bothStreamsAreReadAtOnceSoAFullPipeNeverBlocksTheJob() {
		// 8 MB to stderr before anything to stdout: a reader of one stream at a time
		// would deadlock.
		String id = api.submitId("""
				{"command": ["/bin/sh", "-c", "head -c 8000000 /dev/zero >&2; head -c 8000000 /dev/zero"],
				 "timeout": "PT30S"}
				""");
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "SUCCEEDED");
		assertThat(map(job.get("stderr"))).containsEntry("bytes", 8_000_000);
		assertThat(map(job.get("stdout"))).containsEntry("bytes", 8_000_000);
	}

	private static void awaitLiveMembers(long pgid, int count) {
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTable.liveMembers(pgid).size() >= count);
	}

	private static List<ProcessTable.Entry> descendantsOf(long pid) {
		return ProcessTable.all().stream().filter((entry) -> entry.ppid() == pid && !entry.isZombie()).toList();
	}

}
