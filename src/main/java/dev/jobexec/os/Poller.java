package dev.jobexec.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.CAPTURE_ERRNO;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;

/**
 * A {@code poll(2)} set with its read and write buffers, for one watcher thread: add the
 * descriptors, poll, then read or write those that are ready. Made with the constructor,
 * it is confined to the thread that made it, and closing it frees its memory; made with
 * {@link #kept}, a thread keeps it for one job after another, and the garbage collector
 * frees it.
 */
public final class Poller implements AutoCloseable {

	public static final short POLLIN = 0x1;

	public static final short POLLOUT = 0x4;

	/**
	 * What {@link #read} and {@link #write} return, negated, when they should simply be
	 * retried.
	 */
	public static final int EINTR = Libc.EINTR;

	public static final int EAGAIN = Libc.EAGAIN;

	/** {@code struct pollfd}: int fd, short events, short revents. */
	private static final StructLayout POLLFD = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("fd"),
			ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));

	private static final long POLLFD_FD = POLLFD.byteOffset(PathElement.groupElement("fd"));

	private static final long POLLFD_EVENTS = POLLFD.byteOffset(PathElement.groupElement("events"));

	private static final long POLLFD_REVENTS = POLLFD.byteOffset(PathElement.groupElement("revents"));

	private static final MethodHandle POLL = Libc.find("poll", FunctionDescriptor.of(INT, ADDRESS, LONG, INT),
			CAPTURE_ERRNO);

	private static final MethodHandle READ = Libc.find("read", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG),
			CAPTURE_ERRNO);

	private static final MethodHandle WRITE = Libc.find("write", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG),
			CAPTURE_ERRNO);

	/**
	 * Without the errno, which {@link #close(int)} has no use for (nor for a call state).
	 */
	private static final MethodHandle CLOSE = Libc.find("close", FunctionDescriptor.of(INT, INT));

	private final Arena arena;

	/** Made by {@link #kept}: its memory is the garbage collector's to free. */
	private final boolean kept;

	private final int capacity;

	private final MemorySegment fds;

	private final MemorySegment buffer;

	private final MemorySegment state;

	private int count;

	/**
	 * A set of up to {@code capacity} descriptors, reading and writing {@code bufferSize}
	 * bytes at a time.
	 */
	public Poller(int capacity, int bufferSize) {
		this(Arena.ofConfined(), false, capacity, bufferSize);
	}

	private Poller(Arena arena, boolean kept, int capacity, int bufferSize) {
		this.arena = arena;
		this.kept = kept;
		this.capacity = capacity;
		this.fds = arena.allocate(POLLFD, capacity);
		this.buffer = arena.allocate(bufferSize);
		this.state = Libc.callState(arena);
	}

	/**
	 * A poll set that a thread keeps for one job after another (one per job cost the
	 * allocation and zeroing of its buffer each time): any thread may use it, one at a
	 * time; {@link #close} leaves it as it is, and the garbage collector frees its memory
	 * once it is unreachable.
	 */
	public static Poller kept(int capacity, int bufferSize) {
		return new Poller(Arena.ofAuto(), true, capacity, bufferSize);
	}

	/** Empties the set. */
	public void clear() {
		count = 0;
	}

	/**
	 * Adds {@code fd}, waiting for {@code events}; a negative fd (one already closed) is
	 * skipped.
	 */
	public void add(int fd, short events) {
		if (fd < 0) {
			return;
		}
		if (count == capacity) {
			throw new IllegalStateException("the poll set holds at most " + capacity + " descriptors");
		}
		MemorySegment entry = entry(count++);
		entry.set(ValueLayout.JAVA_INT, POLLFD_FD, fd);
		entry.set(ValueLayout.JAVA_SHORT, POLLFD_EVENTS, events);
		entry.set(ValueLayout.JAVA_SHORT, POLLFD_REVENTS, (short) 0);
	}

	/** How many descriptors the set holds. */
	public int size() {
		return count;
	}

	/** The descriptor at {@code index} of the set. */
	public int fd(int index) {
		return entry(index).get(ValueLayout.JAVA_INT, POLLFD_FD);
	}

	/** What the last {@link #poll} found ready on the descriptor at {@code index}. */
	public short ready(int index) {
		return entry(index).get(ValueLayout.JAVA_SHORT, POLLFD_REVENTS);
	}

	/**
	 * Waits up to {@code timeoutMillis} for a descriptor of the set to be ready; returns
	 * how many are, 0 on timeout or when interrupted by a signal.
	 */
	public int poll(int timeoutMillis) {
		int rc = Libc.call("poll", () -> (int) POLL.invokeExact(state, fds, (long) count, timeoutMillis));
		if (rc < 0) {
			int errno = Libc.errno(state);
			if (errno == Libc.EINTR) {
				return 0;
			}
			throw new IllegalStateException("poll failed: " + Libc.strerror(errno));
		}
		return rc;
	}

	/**
	 * {@code read(2)} into {@code into}: bytes read, 0 at end of stream, or minus the
	 * errno.
	 */
	public int read(int fd, byte[] into) {
		long size = Math.min(into.length, buffer.byteSize());
		long rc = Libc.call("read", () -> (long) READ.invokeExact(state, fd, buffer, size));
		if (rc < 0) {
			return -Libc.errno(state);
		}
		MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, into, 0, (int) rc);
		return (int) rc;
	}

	/**
	 * {@code write(2)} of {@code bytes} from {@code offset} on (as much as the buffer
	 * holds): bytes written, or minus the errno.
	 */
	public int write(int fd, byte[] bytes, int offset) {
		int size = (int) Math.min(bytes.length - offset, buffer.byteSize());
		MemorySegment.copy(bytes, offset, buffer, ValueLayout.JAVA_BYTE, 0, size);
		long rc = Libc.call("write", () -> (long) WRITE.invokeExact(state, fd, buffer, (long) size));
		return (rc >= 0) ? (int) rc : -Libc.errno(state);
	}

	/** Closes {@code fd} when it is not negative. */
	public static void close(int fd) {
		if (fd < 0) {
			return;
		}
		int ignored = Libc.call("close", () -> (int) CLOSE.invokeExact(fd));
	}

	@Override
	public void close() {
		if (!kept) {
			arena.close();
		}
	}

	private MemorySegment entry(int index) {
		return fds.asSlice(index * POLLFD.byteSize(), POLLFD);
	}

}
