package dev.jobexec.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.CgroupFiles;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The open files of a cgroup slot, on a real cgroup v2 directory of this machine with a
 * real process moved in and out: each read through a kept descriptor says what the kernel
 * says now, a write goes through, and a directory removed and made again is opened again.
 */
class HeldFilesTests {

	private Cgroups cgroups;

	private Path directory;

	@BeforeEach
	void makeACgroup() throws Exception {
		cgroups = Cgroups.open();
		CgroupFiles.requireWritableCgroups(cgroups.layout().name().toLowerCase(Locale.ROOT));
		Path v2 = cgroups.runDirectories().getFirst();
		assumeThat(Files.exists(v2.resolve("cgroup.controllers"))).as("a cgroup v2 hierarchy: " + v2).isTrue();
		directory = Files.createDirectory(v2.resolve("held-files-test"));
	}

	@AfterEach
	void removeIt() throws Exception {
		if (directory != null) {
			Files.deleteIfExists(directory);
		}
		if (cgroups != null && cgroups.usable()) {
			cgroups.close();
		}
	}

	@Test
	void aKeptDescriptorReadsWhatIsThereNowAndADirectoryMadeAgainIsOpenedAgain() throws Exception {
		Path events = directory.resolve("cgroup.events");
		try (HeldFiles files = new HeldFiles()) {
			assertThat(files.read(events)).hasValueSatisfying((text) -> assertThat(text).contains("populated 0"));
			Process sleeper = new ProcessBuilder("/bin/sleep", "300").start();
			try {
				Cgroups.write(directory.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
				assertThat(files.read(events)).as("the same descriptor, read again")
					.hasValueSatisfying((text) -> assertThat(text).contains("populated 1"));
				// A write through a kept descriptor: frozen, then thawed.
				files.write(directory.resolve("cgroup.freeze"), "1");
				Awaitility.await()
					.atMost(Duration.ofSeconds(10))
					.until(() -> files.read(events).orElse("").contains("frozen 1"));
				files.write(directory.resolve("cgroup.freeze"), "0");
				Awaitility.await()
					.atMost(Duration.ofSeconds(10))
					.until(() -> files.read(events).orElse("").contains("frozen 0"));
			}
			finally {
				sleeper.destroyForcibly();
				assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).isTrue();
			}
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> files.read(events).orElse("").contains("populated 0"));

			// Removed behind the kept descriptor: the read fails, and once the directory
			// is made again, the file is opened again.
			Files.delete(directory);
			assertThat(files.read(events)).isEmpty();
			Files.createDirectory(directory);
			assertThat(files.read(events)).hasValueSatisfying((text) -> assertThat(text).contains("populated 0"));

			// A value the kernel refuses fails the write, and the file stays writable.
			assertThatThrownBy(() -> files.write(directory.resolve("cgroup.freeze"), "2"))
				.hasMessageContaining("cgroup.freeze");
			files.write(directory.resolve("cgroup.freeze"), "0");
		}
	}

	@Test
	void closedFilesAreNotReadAnyMore() throws Exception {
		HeldFiles files = new HeldFiles();
		assertThat(files.read(directory.resolve("cgroup.events"))).isPresent();
		files.close();
		assertThat(files.read(directory.resolve("cgroup.events"))).isEmpty();
		assertThatThrownBy(() -> files.write(directory.resolve("cgroup.freeze"), "0")).hasMessageContaining("closed");
	}

}
