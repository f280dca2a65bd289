package dev.jobexec.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * How a job's cgroup reads its member list. The kernel lists a process that is exiting
 * and no longer has a pid as 0 in {@code cgroup.procs}: a job whose shell forked a child
 * every 50 ms read so about once in 500 timeouts, and signalling "process 0" threw inside
 * the termination ladder, before its SIGKILL step was scheduled, so the job ran on past
 * its timeout. That moment cannot be brought about on purpose, so the file is written
 * here as the kernel wrote it.
 */
class JobCgroupTests {

	@TempDir
	Path dir;

	@Test
	void aMemberListedAsZeroIsNoProcessToSignal() throws Exception {
		Path cgroup = Files.createDirectory(dir.resolve("job"));
		long self = ProcessHandle.current().pid();
		Files.writeString(cgroup.resolve("cgroup.procs"), "0\n" + self + "\n");
		JobCgroup job = new JobCgroup("job", cgroup, Map.of());

		assertThat(job.members()).containsExactly(self);
		// Signal 0 only asks whether the process exists: this test's own JVM does.
		assertThatNoException().isThrownBy(() -> assertThat(job.signal(0)).isEqualTo(1));
	}

}
