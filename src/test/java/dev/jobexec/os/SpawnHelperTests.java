package dev.jobexec.os;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spawn helper the build compiled, driven directly and checked in {@code /proc}: the
 * child's session, signals and descriptors at its exec; a failed exec or chdir named;
 * starts from platform and virtual threads side by side, each getting its own child; a
 * job's process that hangs before its exec killed, its start failed within the deadline,
 * and the next job started.
 */
class SpawnHelperTests {

	private static final Path LIBRARY = Path.of("target/classes/native/libjobexec-spawn.so").toAbsolutePath();

	@TempDir
	Path dir;

	/** A signal the JVM does not use, ignored for one test. */
	private static final int SPARE_SIGNAL = 40;

	private static final MethodHandle SIGNAL = Libc.find("signal", FunctionDescriptor.of(ADDRESS, INT, ADDRESS));

	private static final MethodHandle OPEN = Libc.find("open", FunctionDescriptor.of(INT, ADDRESS, INT),
			Linker.Option.firstVariadicArg(2));

	private static final MemorySegment SIG_IGN = MemorySegment.ofAddress(1);

	@Test
	// A separate thread: a child the watchdog failed to kill would hold the test's thread
	// in the native call, where a timeout cannot interrupt it.
	@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
	void aProcessStuckBeforeItsExecFailsItsStartAndTheNextJobStarts() throws Exception {
		// Opening a FIFO for writing blocks until someone reads it: the child hangs where
		// it joins its "cgroup", before it execs.
		Path fifo = fifo("procs");
		try (SpawnHelper helper = SpawnHelper.start(LIBRARY, Duration.ofSeconds(1));
				Release release = new Release(fifo, Duration.ofSeconds(30))) {
			Set<Long> childrenBefore = children();
			long began = System.nanoTime();
			assertThatThrownBy(() -> helper.spawn(request(List.of(fifo)))).isInstanceOf(IOException.class)
				.hasMessageContaining("did not reach its exec within PT1S");
			assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
			// The stuck child was killed and reaped: no process of it is left.
			assertThat(children()).isSubsetOf(childrenBefore);

			SpawnHelper.Started started = helper.spawn(request(List.of()));
			assertThat(started.process().pid()).isPositive();
			reapAndClose(started);
		}
	}

	@Test
	@Timeout(60)
	void theChildExecsInItsOwnSessionWithDefaultSignalsAndOnlyItsPipesOpen() throws Throwable {
		// What the child must not inherit, arranged: a signal the service ignores and a
		// descriptor without close-on-exec.
		MemorySegment previous = (MemorySegment) SIGNAL.invokeExact(SPARE_SIGNAL, SIG_IGN);
		int inheritable;
		try (Arena arena = Arena.ofConfined()) {
			inheritable = (int) OPEN.invokeExact(arena.allocateFrom("/dev/null"), 0);
		}
		assertThat(inheritable).isGreaterThan(2);
		try (SpawnHelper helper = SpawnHelper.start(LIBRARY)) {
			Map<String, String> status = new HashMap<>();
			for (String line : run(helper, List.of("/bin/cat", "/proc/self/status")).lines().toList()) {
				String[] field = line.split(":\\s*", 2);
				status.put(field[0], (field.length > 1) ? field[1] : "");
			}
			assertThat(status.get("NSsid")).as("session id").isEqualTo(status.get("Pid"));
			assertThat(status.get("PPid")).as("parent").isEqualTo(Long.toString(ProcessTable.SELF));
			assertThat(status.get("SigBlk")).as("blocked signals").matches("0+");
			assertThat(status.get("SigIgn")).as("ignored signals").matches("0+");
			// 3 is the directory ls reads.
			assertThat(run(helper, List.of("/bin/ls", "/proc/self/fd")).lines().toList()).containsExactly("0", "1", "2",
					"3");
		}
		finally {
			MemorySegment restored = (MemorySegment) SIGNAL.invokeExact(SPARE_SIGNAL, previous);
			Poller.close(inheritable);
		}
	}

	@Test
	@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
	void startsFromManyThreadsRunSideBySideEachWithItsOwnCommand() throws Exception {
		try (SpawnHelper helper = SpawnHelper.start(LIBRARY);
				ExecutorService platform = Executors.newFixedThreadPool(3);
				ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
			List<Future<String>> outputs = new ArrayList<>();
			for (int i = 0; i < 60; i++) {
				String word = "start-" + i;
				outputs.add(((i % 2 == 0) ? platform : virtual)
					.submit(() -> run(helper, List.of("/bin/echo", word)).strip()));
			}
			for (int i = 0; i < outputs.size(); i++) {
				assertThat(outputs.get(i).get()).isEqualTo("start-" + i);
			}
		}
	}

	@Test
	// A separate thread: with the starts pinning the carriers, the test's own thread
	// might never run again.
	@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
	void startsWaitingForTheirExecHoldUpNeitherOtherStartsNorVirtualThreads() throws Exception {
		// More stuck starts from virtual threads than there are carriers: had they pinned
		// their carriers, no virtual thread could run, and one start would hold up the
		// others.
		int stuck = Runtime.getRuntime().availableProcessors() + 1;
		Path fifo = fifo("procs");
		try (SpawnHelper helper = SpawnHelper.start(LIBRARY, Duration.ofSeconds(60));
				ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor();
				Release release = new Release(fifo, Duration.ofSeconds(60))) {
			Set<Long> before = children();
			List<Future<SpawnHelper.Started>> waiting = new ArrayList<>();
			for (int i = 0; i < stuck; i++) {
				waiting.add(virtual.submit(() -> helper.spawn(request(List.of(fifo)))));
			}
			// Each stuck child is a new child of this JVM, asleep in its open of the
			// FIFO.
			Awaitility.await()
				.atMost(Duration.ofSeconds(20))
				.until(() -> children().stream()
					.filter((pid) -> !before.contains(pid))
					.filter((pid) -> ProcessTable.read(pid).map((entry) -> entry.state() == 'S').orElse(false))
					.count() >= stuck);
			Future<String> next = virtual.submit(() -> run(helper, List.of("/bin/echo", "next")).strip());
			assertThat(next.get(20, TimeUnit.SECONDS)).isEqualTo("next");
			assertThat(waiting).noneMatch(Future::isDone);

			release.now();
			for (Future<SpawnHelper.Started> start : waiting) {
				reapAndClose(start.get(20, TimeUnit.SECONDS));
			}
		}
	}

	@Test
	@Timeout(60)
	void aFailedExecOrChdirFailsTheStartWithTheReasonAndLeavesNoChild() throws Exception {
		Path notAProgram = Files.writeString(dir.resolve("not-a-program"), "no interpreter line\n");
		Files.setPosixFilePermissions(notAProgram, PosixFilePermissions.fromString("rwxr-xr-x"));
		try (SpawnHelper helper = SpawnHelper.start(LIBRARY)) {
			Set<Long> childrenBefore = children();
			assertThatThrownBy(() -> helper.spawn(request(List.of(notAProgram.toString()), dir, List.of())))
				.isInstanceOf(IOException.class)
				.hasMessage(notAProgram + ": Exec format error");
			Path missing = dir.resolve("missing");
			assertThatThrownBy(() -> helper.spawn(request(List.of("/bin/true"), missing, List.of())))
				.isInstanceOf(IOException.class)
				.hasMessage("cannot change to " + missing + ": No such file or directory");
			assertThat(children()).isSubsetOf(childrenBefore);
		}
	}

	private Path fifo(String name) throws Exception {
		Path fifo = dir.resolve(name);
		assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(fifo).exists();
		return fifo;
	}

	/**
	 * Lets every child stuck opening {@code fifo} for writing go on: opened for reading
	 * and writing, a FIFO does not block. At {@link #now}, at the latest after
	 * {@code after} (from another thread, since the test's own may be the one stuck), and
	 * at the end.
	 */
	private static final class Release implements AutoCloseable {

		private final Path fifo;

		private final Thread timer;

		private RandomAccessFile opened;

		Release(Path fifo, Duration after) {
			this.fifo = fifo;
			this.timer = Thread.ofPlatform().daemon(true).start(() -> {
				try {
					Thread.sleep(after);
					now();
				}
				catch (InterruptedException ex) {
					// Closed first.
				}
			});
		}

		synchronized void now() {
			if (opened == null) {
				try {
					opened = new RandomAccessFile(fifo.toFile(), "rw");
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			}
		}

		@Override
		public void close() throws IOException {
			timer.interrupt();
			now();
			synchronized (this) {
				opened.close();
			}
		}

	}

	/** Runs argv through the helper; returns its stdout once it has ended. */
	private String run(SpawnHelper helper, List<String> argv) throws IOException {
		SpawnHelper.Started started = helper.spawn(request(argv, dir, List.of()));
		try {
			// Opened anew through /proc: read until the child's end closes at its exit.
			return Files.readString(Path.of("/proc/self/fd/" + started.process().stdout()));
		}
		finally {
			reapAndClose(started);
		}
	}

	/**
	 * Waits for the child to end and reaps it; closes our ends of its descriptors. In the
	 * suite, a service of another test class may live on in this JVM, and its reaper reap
	 * the child first: that counts as reaped too.
	 */
	private static void reapAndClose(SpawnHelper.Started started) {
		try {
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> reaped(started.process().pid()));
		}
		finally {
			Poller.close(started.pidFd());
			Poller.close(started.process().stdout());
			Poller.close(started.process().stderr());
		}
	}

	private static boolean reaped(int pid) {
		try {
			return ProcessControl.reap(pid) != null;
		}
		catch (IllegalStateException ex) {
			// No longer a child: reaped already.
			return true;
		}
	}

	/** The service's (this JVM's) children, zombies included. */
	private static Set<Long> children() {
		return ProcessTable.all()
			.stream()
			.filter((entry) -> entry.ppid() == ProcessTable.SELF)
			.map(ProcessTable.Entry::pid)
			.collect(Collectors.toSet());
	}

	private SpawnHelper.Request request(List<Path> v1Procs) throws IOException {
		return request(List.of("/bin/true"), dir, v1Procs);
	}

	private static SpawnHelper.Request request(List<String> argv, Path directory, List<Path> v1Procs) {
		return new SpawnHelper.Request(argv, List.of("PATH=/usr/bin:/bin"), directory, false, List.of(), null, null,
				null, v1Procs);
	}

}
