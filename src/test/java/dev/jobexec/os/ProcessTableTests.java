package dev.jobexec.os;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ProcessTable} and {@link KernelFiles} against real processes and {@code /proc}.
 */
class ProcessTableTests {

	@Test
	void aProcessNamedInBytesThatAreNotUtf8IsStillListed() throws Exception {
		// A process may name itself with any 15 bytes; the service must still see it
		// (the reaper and the group checks of jobs without a cgroup find processes this
		// way).
		Process process = new ProcessBuilder("/bin/sh", "-c", "printf '\\377x' > /proc/self/comm; echo named; read x")
			.start();
		try {
			assertThat(process.inputReader().readLine()).isEqualTo("named");
			ProcessTable.Entry entry = ProcessTable.read(process.pid()).orElseThrow();
			assertThat(entry.command()).isEqualTo("\uFFFDx");
			assertThat(entry.ppid()).isEqualTo(ProcessHandle.current().pid());
			assertThat(ProcessTable.all()).extracting(ProcessTable.Entry::pid).contains(process.pid());
		}
		finally {
			process.destroyForcibly();
			process.waitFor(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void aThreadThatWasInterruptedStillReadsTheProcessTable() {
		// A thread being stopped (its interrupt flag set) must not take every process for
		// gone: the reaper's last scan and a node's last heartbeat run on such threads.
		Thread.currentThread().interrupt();
		try {
			assertThat(ProcessTable.read(ProcessTable.SELF)).isPresent();
			assertThat(ProcessTable.all()).extracting(ProcessTable.Entry::pid).contains(ProcessTable.SELF);
			assertThat(Thread.currentThread().isInterrupted()).as("the flag is left as it was").isTrue();
		}
		finally {
			Thread.interrupted();
		}
	}

	@Test
	void aFileLongerThanTheReadBufferIsReadWhole() throws Exception {
		// /proc/self/maps of a JVM runs to tens of KiB, past the 4 KiB buffer.
		String read = KernelFiles.read(Path.of("/proc/self/maps"), StandardCharsets.ISO_8859_1);
		assertThat(read.length()).isGreaterThan(4096 * 3);
		assertThat(read).endsWith("\n").contains("[stack]");
		// Each line is one mapping, "start-end perms offset dev inode path": none was cut
		// or doubled where the buffer filled.
		assertThat(read.lines()).allMatch((line) -> line.matches("[0-9a-f]+-[0-9a-f]+ [-rwxps]{4} .*"));
	}

}
