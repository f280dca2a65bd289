package dev.jobexec.os;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spawn helper the build compiled, driven directly: a job's process that hangs before
 * its exec fails its start within the deadline, and the helper serves the next job.
 */
class SpawnHelperTests {

	private static final Path BINARY = Path.of("target/classes/native/jobexec-spawn");

	@TempDir
	Path dir;

	@Test
	@Timeout(60)
	void aProcessStuckBeforeItsExecFailsItsStartAndTheNextJobStarts() throws Exception {
		// Opening a FIFO for writing blocks until someone reads it: the child hangs where
		// it joins its "cgroup", before it execs.
		Path fifo = dir.resolve("procs");
		assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(fifo).exists();
		try (SpawnHelper helper = SpawnHelper.start(BINARY, Duration.ofSeconds(1))) {
			long began = System.nanoTime();
			assertThatThrownBy(() -> helper.spawn(request(List.of(fifo)))).isInstanceOf(IOException.class)
				.hasMessageContaining("did not reach its exec within PT1S");
			assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
			// Let the stuck child go on: it reads nothing useful and ends.
			try (FileInputStream reader = new FileInputStream(fifo.toFile())) {
				reader.readAllBytes();
			}

			SpawnHelper.Started started = helper.spawn(request(List.of()));
			assertThat(started.process().pid()).isPositive();
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> ProcessControl.reap(started.process().pid()) != null);
			Poller.close(started.pidFd());
			Poller.close(started.process().stdout());
			Poller.close(started.process().stderr());
		}
	}

	private SpawnHelper.Request request(List<Path> v1Procs) throws IOException {
		Files.createDirectories(dir);
		return new SpawnHelper.Request(List.of("/bin/true"), List.of("PATH=/usr/bin:/bin"), dir, false, List.of(), null,
				null, null, v1Procs);
	}

}
