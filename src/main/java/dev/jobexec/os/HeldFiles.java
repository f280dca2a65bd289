package dev.jobexec.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.CAPTURE_ERRNO;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;
import static dev.jobexec.os.Libc.ENODEV;
import static dev.jobexec.os.Libc.ENOENT;
import static dev.jobexec.os.Libc.O_CLOEXEC;
import static dev.jobexec.os.Libc.O_RDONLY;
import static dev.jobexec.os.Libc.O_WRONLY;

/**
 * The files of one cgroup slot that its jobs read and write, each opened once and kept
 * open as long as the slot: a read is one {@code pread} from offset 0 (the kernel makes a
 * cgroup file up anew for each read from its start), a write one {@code pwrite}. Opening
 * the file, which walks the cgroup's long path, took 64 % of the time of a read that
 * opened, read and closed it each time (a profile of bench/run.sh's scenario 1,
 * 2026-12-03), and a job reads a dozen of them ({@code cgroup.procs}, which cgroup v1
 * would answer from a stale list, is the exception). Used by one thread at a time as a
 * rule (the job's); its calls take turns, so that no descriptor is closed while another
 * thread reads or writes through it (its number could by then be another file's). A
 * descriptor whose file is gone (its directory removed) is closed and the call fails, so
 * that a directory made again is opened again.
 */
final class HeldFiles implements AutoCloseable {

	/** Most cgroup files fit; a longer one (a busy cgroup's process list) is read on. */
	private static final int BUFFER = 4096;

	private static final MethodHandle OPEN = Libc.find("open", FunctionDescriptor.of(INT, ADDRESS, INT), CAPTURE_ERRNO);

	private static final MethodHandle PREAD = Libc.find("pread", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG, LONG),
			CAPTURE_ERRNO);

	private static final MethodHandle PWRITE = Libc.find("pwrite",
			FunctionDescriptor.of(LONG, INT, ADDRESS, LONG, LONG), CAPTURE_ERRNO);

	private static final MethodHandle CLOSE = Libc.find("close", FunctionDescriptor.of(INT, INT));

	/**
	 * Opened for each read: cgroup v1 keeps the process list an open {@code cgroup.procs}
	 * read last, and a read from its start within a second gives that list again, not the
	 * processes there now.
	 */
	private static final Path PROCS = Path.of("cgroup.procs");

	/** Without the C library's calls, each read and write opens its file. */
	private static final boolean AVAILABLE = OPEN != null && PREAD != null && PWRITE != null && CLOSE != null;

	/**
	 * Each thread's native buffer and call state; the garbage collector frees them with
	 * the thread.
	 */
	private static final ThreadLocal<Memory> MEMORY = ThreadLocal.withInitial(Memory::new);

	private final Map<Path, Integer> reading = new HashMap<>();

	private final Map<Path, Integer> writing = new HashMap<>();

	private boolean closed;

	/** The whole of {@code file}, or empty when it cannot be read (gone, or refused). */
	synchronized Optional<String> read(Path file) {
		if (!AVAILABLE || file.endsWith(PROCS)) {
			return Cgroups.read(file);
		}
		try {
			Memory memory = MEMORY.get();
			int fd = descriptor(reading, file, O_RDONLY, memory);
			MemorySegment buffer = memory.buffer;
			long length = 0;
			while (true) {
				if (length == buffer.byteSize()) {
					buffer = memory.grow();
				}
				MemorySegment into = buffer.asSlice(length);
				long offset = length;
				long read = Libc.call("pread",
						() -> (long) PREAD.invokeExact(memory.state, fd, into, into.byteSize(), offset));
				if (read < 0) {
					forget(reading, file, fd);
					return Optional.empty();
				}
				length += read;
				// A cgroup file gives what it has in one read: a short one is its end.
				if (read == 0 || length < buffer.byteSize()) {
					break;
				}
			}
			byte[] bytes = buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
			return Optional.of(new String(bytes, StandardCharsets.US_ASCII));
		}
		catch (IOException ex) {
			return Optional.empty();
		}
	}

	/** Writes {@code value} to {@code file} in one write. */
	synchronized void write(Path file, String value) throws IOException {
		if (!AVAILABLE) {
			Cgroups.write(file, value);
			return;
		}
		Memory memory = MEMORY.get();
		int fd = descriptor(writing, file, O_WRONLY, memory);
		byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
		MemorySegment from = memory.buffer.asSlice(0, bytes.length);
		MemorySegment.copy(bytes, 0, from, ValueLayout.JAVA_BYTE, 0, bytes.length);
		long written = Libc.call("pwrite",
				() -> (long) PWRITE.invokeExact(memory.state, fd, from, (long) bytes.length, 0L));
		if (written < 0) {
			int errno = Libc.errno(memory.state);
			// Kept when the kernel refused the value (a limit below what is charged):
			// the file is there.
			if (errno == ENODEV || errno == ENOENT) {
				forget(writing, file, fd);
			}
			throw new IOException("could not write " + value + " to " + file + ": " + Libc.strerror(errno));
		}
	}

	/** Closes the descriptors of the files in {@code directory} (removed, or to be). */
	synchronized void forget(Path directory) {
		for (Map<Path, Integer> map : List.of(reading, writing)) {
			for (Iterator<Map.Entry<Path, Integer>> it = map.entrySet().iterator(); it.hasNext();) {
				Map.Entry<Path, Integer> entry = it.next();
				if (entry.getKey().startsWith(directory)) {
					it.remove();
					closeQuietly(entry.getValue());
				}
			}
		}
	}

	@Override
	public synchronized void close() {
		closed = true;
		for (Map<Path, Integer> map : List.of(reading, writing)) {
			map.values().forEach(HeldFiles::closeQuietly);
			map.clear();
		}
	}

	private int descriptor(Map<Path, Integer> map, Path file, int mode, Memory memory) throws IOException {
		if (closed) {
			throw new IOException("the files of " + file.getParent() + " are closed");
		}
		Integer held = map.get(file);
		if (held != null) {
			return held;
		}
		int fd;
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment path = arena.allocateFrom(file.toString());
			fd = Libc.call("open", () -> (int) OPEN.invokeExact(memory.state, path, mode | O_CLOEXEC));
		}
		if (fd < 0) {
			throw new IOException("could not open " + file + ": " + Libc.strerror(Libc.errno(memory.state)));
		}
		map.put(file, fd);
		return fd;
	}

	private static void forget(Map<Path, Integer> map, Path file, int fd) {
		if (map.remove(file, fd)) {
			closeQuietly(fd);
		}
	}

	private static void closeQuietly(int fd) {
		Libc.call("close", () -> (int) CLOSE.invokeExact(fd));
	}

	/** A thread's buffer for reads and writes, and its errno capture. */
	private static final class Memory {

		private final Arena arena = Arena.ofAuto();

		private final MemorySegment state = Libc.callState(arena);

		private MemorySegment buffer = arena.allocate(BUFFER);

		MemorySegment grow() {
			MemorySegment larger = arena.allocate(buffer.byteSize() * 2);
			larger.copyFrom(buffer);
			buffer = larger;
			return larger;
		}

	}

}
