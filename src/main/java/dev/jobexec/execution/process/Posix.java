package dev.jobexec.execution.process;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The libc calls that start and watch job processes, through the Foreign Function &amp;
 * Memory API: {@code posix_spawn} with {@code POSIX_SPAWN_SETSID} (the job's own session
 * and process group, without the JDK's {@code jspawnhelper} and without a {@code setsid}
 * exec), pipes, a pidfd for the leader, {@code poll}, {@code read} and {@code write}. The
 * leader is reaped with {@code NativeProcesses.reap}, which waits for that one pid only.
 * Linux with glibc 2.34 or later ({@code posix_spawn_file_actions_addclosefrom_np}).
 */
final class Posix {

	static final int POLLIN = 0x1;

	static final int POLLOUT = 0x4;

	static final int EINTR = 4;

	static final int EAGAIN = 11;

	/** {@code struct pollfd}: int fd, short events, short revents. */
	static final StructLayout POLLFD = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("fd"),
			ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));

	/** Offsets of the fields of {@link #POLLFD}. */
	static final long POLLFD_FD = POLLFD.byteOffset(PathElement.groupElement("fd"));

	static final long POLLFD_EVENTS = POLLFD.byteOffset(PathElement.groupElement("events"));

	static final long POLLFD_REVENTS = POLLFD.byteOffset(PathElement.groupElement("revents"));

	private static final int O_RDONLY = 0;

	private static final int O_NONBLOCK = 0x800;

	private static final int O_CLOEXEC = 0x80000;

	private static final int F_SETFL = 4;

	private static final int SYS_PIDFD_OPEN = 434;

	private static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	private static final short POSIX_SPAWN_SETSID = 0x80;

	/**
	 * Larger than glibc's posix_spawnattr_t (336 bytes) and posix_spawn_file_actions_t
	 * (80 bytes).
	 */
	private static final long OPAQUE_SIZE = 1024;

	/** Larger than glibc's sigset_t (128 bytes). */
	private static final long SIGSET_SIZE = 256;

	private static final Linker LINKER = Linker.nativeLinker();

	private static final SymbolLookup LIBC = LINKER.defaultLookup();

	private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

	private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

	private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

	private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

	private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;

	private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;

	private static final List<String> MISSING = new ArrayList<>();

	private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

	private static final MethodHandle SPAWN = find("posix_spawn",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

	private static final MethodHandle ACTIONS_INIT = find("posix_spawn_file_actions_init",
			FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ACTIONS_DESTROY = find("posix_spawn_file_actions_destroy",
			FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ADD_DUP2 = find("posix_spawn_file_actions_adddup2",
			FunctionDescriptor.of(INT, ADDRESS, INT, INT));

	private static final MethodHandle ADD_OPEN = find("posix_spawn_file_actions_addopen",
			FunctionDescriptor.of(INT, ADDRESS, INT, ADDRESS, INT, INT));

	private static final MethodHandle ADD_CHDIR = find("posix_spawn_file_actions_addchdir_np",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle ADD_CLOSEFROM = find("posix_spawn_file_actions_addclosefrom_np",
			FunctionDescriptor.of(INT, ADDRESS, INT));

	private static final MethodHandle ATTR_INIT = find("posix_spawnattr_init", FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ATTR_SETFLAGS = find("posix_spawnattr_setflags",
			FunctionDescriptor.of(INT, ADDRESS, SHORT));

	private static final MethodHandle ATTR_SETSIGMASK = find("posix_spawnattr_setsigmask",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle ATTR_SETSIGDEFAULT = find("posix_spawnattr_setsigdefault",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle SIGEMPTYSET = find("sigemptyset", FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle SIGFILLSET = find("sigfillset", FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle STRERROR = find("strerror", FunctionDescriptor.of(ADDRESS, INT));

	private static final MethodHandle PIPE2 = find("pipe2", FunctionDescriptor.of(INT, ADDRESS, INT), CAPTURE_ERRNO);

	private static final MethodHandle FCNTL = find("fcntl", FunctionDescriptor.of(INT, INT, INT, INT),
			Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);

	private static final MethodHandle SYSCALL = find("syscall", FunctionDescriptor.of(LONG, LONG, INT, INT),
			Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);

	private static final MethodHandle POLL = find("poll", FunctionDescriptor.of(INT, ADDRESS, LONG, INT),
			CAPTURE_ERRNO);

	private static final MethodHandle READ = find("read", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG),
			CAPTURE_ERRNO);

	private static final MethodHandle WRITE = find("write", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG),
			CAPTURE_ERRNO);

	private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(INT, INT), CAPTURE_ERRNO);

	private Posix() {
	}

	/** Why job processes cannot be started here, or null when they can. */
	static String unavailable() {
		return MISSING.isEmpty() ? null
				: "this C library lacks " + String.join(", ", MISSING) + " (jobexec needs Linux with glibc 2.34+)";
	}

	/**
	 * A started job process: its pid (also its session and process group id) and our ends
	 * of its pipes.
	 */
	record Spawned(int pid, int stdin, int stdout, int stderr) {
	}

	/**
	 * Starts {@code argv} in a new session with exactly {@code environment} in
	 * {@code directory}, stdout and stderr on pipes, stdin on a pipe when
	 * {@code pipeStdin} (else {@code /dev/null}), every other descriptor closed and every
	 * signal at its default and unblocked. Our ends of the pipes are close-on-exec; the
	 * stdin end is non-blocking.
	 * @throws IOException with the C library's reason when the process could not be
	 * started (including a failed {@code chdir} or {@code execve})
	 */
	static Spawned spawn(List<String> argv, List<String> environment, Path directory, boolean pipeStdin)
			throws IOException {
		int[] in = pipeStdin ? pipe() : null;
		int[] out = null;
		int[] err = null;
		try (Arena arena = Arena.ofConfined()) {
			out = pipe();
			err = pipe();
			MemorySegment actions = arena.allocate(OPAQUE_SIZE, 16);
			check("posix_spawn_file_actions_init", (int) ACTIONS_INIT.invokeExact(actions));
			try {
				fileActions(arena, actions, in, out, err, directory);
				MemorySegment pid = arena.allocate(INT);
				int rc = (int) SPAWN.invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions, Attributes.SEGMENT,
						strings(arena, argv), strings(arena, environment));
				if (rc != 0) {
					throw new IOException(argv.getFirst() + ": " + strerror(rc));
				}
				Spawned spawned = new Spawned(pid.get(INT, 0), (in != null) ? in[1] : -1, out[0], err[0]);
				if (in != null) {
					in[1] = -1;
					// Should this fail, the end stays blocking and still works: a write
					// then waits for the reader.
					int ignored = (int) FCNTL.invokeExact(arena.allocate(CALL_STATE), spawned.stdin(), F_SETFL,
							O_NONBLOCK);
				}
				out[0] = -1;
				err[0] = -1;
				return spawned;
			}
			finally {
				int destroyed = (int) ACTIONS_DESTROY.invokeExact(actions);
			}
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("posix_spawn could not be called", ex);
		}
		finally {
			// Whatever is still ours: the child's ends always, our ends only when
			// spawning failed.
			for (int[] pipe : new int[][] { in, out, err }) {
				if (pipe != null) {
					close(pipe[0]);
					close(pipe[1]);
				}
			}
		}
	}

	/**
	 * stdin from its pipe or /dev/null, stdout and stderr to theirs, nothing else open,
	 * then chdir.
	 */
	private static void fileActions(Arena arena, MemorySegment actions, int[] in, int[] out, int[] err, Path directory)
			throws Throwable {
		if (in != null) {
			check("adddup2", (int) ADD_DUP2.invokeExact(actions, in[0], 0));
		}
		else {
			check("addopen", (int) ADD_OPEN.invokeExact(actions, 0, arena.allocateFrom("/dev/null"), O_RDONLY, 0));
		}
		check("adddup2", (int) ADD_DUP2.invokeExact(actions, out[1], 1));
		check("adddup2", (int) ADD_DUP2.invokeExact(actions, err[1], 2));
		check("addclosefrom_np", (int) ADD_CLOSEFROM.invokeExact(actions, 3));
		check("addchdir_np", (int) ADD_CHDIR.invokeExact(actions, arena.allocateFrom(directory.toString())));
	}

	/**
	 * The spawn attributes every job gets, made once and only read after: a new session,
	 * no signal blocked, every signal at its default.
	 */
	private static final class Attributes {

		static final MemorySegment SEGMENT = create();

		private static MemorySegment create() {
			Arena arena = Arena.global();
			MemorySegment attributes = arena.allocate(OPAQUE_SIZE, 16);
			try {
				check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(attributes));
				MemorySegment none = arena.allocate(SIGSET_SIZE, 8);
				MemorySegment all = arena.allocate(SIGSET_SIZE, 8);
				check("sigemptyset", (int) SIGEMPTYSET.invokeExact(none));
				check("sigfillset", (int) SIGFILLSET.invokeExact(all));
				check("setsigmask", (int) ATTR_SETSIGMASK.invokeExact(attributes, none));
				check("setsigdefault", (int) ATTR_SETSIGDEFAULT.invokeExact(attributes, all));
				check("setflags", (int) ATTR_SETFLAGS.invokeExact(attributes,
						(short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)));
				return attributes;
			}
			catch (Throwable ex) {
				throw new IllegalStateException("the posix_spawn attributes could not be made", ex);
			}
		}

	}

	/**
	 * A pidfd for {@code pid} ({@code pidfd_open(2)}, Linux 5.3+); readable once it has
	 * exited.
	 */
	static int pidfd(int pid) throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = arena.allocate(CALL_STATE);
			long fd = (long) SYSCALL.invokeExact(state, (long) SYS_PIDFD_OPEN, pid, 0);
			if (fd < 0) {
				throw new IOException("pidfd_open(" + pid + "): " + strerror(errno(state)));
			}
			return (int) fd;
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("pidfd_open could not be called", ex);
		}
	}

	/**
	 * {@code poll(2)}; returns the number of ready descriptors, 0 on timeout or when
	 * interrupted.
	 */
	static int poll(MemorySegment fds, int count, int timeoutMillis, MemorySegment state) {
		try {
			int rc = (int) POLL.invokeExact(state, fds, (long) count, timeoutMillis);
			if (rc < 0) {
				int errno = errno(state);
				if (errno == EINTR) {
					return 0;
				}
				throw new IllegalStateException("poll failed: " + strerror(errno));
			}
			return rc;
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("poll could not be called", ex);
		}
	}

	/** {@code read(2)}: bytes read, 0 at end of stream, or minus the errno. */
	static long read(int fd, MemorySegment buffer, MemorySegment state) {
		try {
			long rc = (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
			return (rc >= 0) ? rc : -errno(state);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("read could not be called", ex);
		}
	}

	/** {@code write(2)}: bytes written, or minus the errno. */
	static long write(int fd, MemorySegment bytes, MemorySegment state) {
		try {
			long rc = (long) WRITE.invokeExact(state, fd, bytes, bytes.byteSize());
			return (rc >= 0) ? rc : -errno(state);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("write could not be called", ex);
		}
	}

	/** Closes {@code fd} when it is not negative. */
	static void close(int fd) {
		if (fd < 0) {
			return;
		}
		try (Arena arena = Arena.ofConfined()) {
			int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("close could not be called", ex);
		}
	}

	/** A segment for the errno that the calls above capture. */
	static MemorySegment callState(Arena arena) {
		return arena.allocate(CALL_STATE);
	}

	static int errno(MemorySegment state) {
		return (int) ERRNO.get(state, 0L);
	}

	static String strerror(int errno) {
		try {
			MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
			return text.reinterpret(256).getString(0);
		}
		catch (Throwable ex) {
			return "errno " + errno;
		}
	}

	private static int[] pipe() throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment fds = arena.allocate(INT, 2);
			MemorySegment state = arena.allocate(CALL_STATE);
			if ((int) PIPE2.invokeExact(state, fds, O_CLOEXEC) != 0) {
				throw new IOException("pipe2: " + strerror(errno(state)));
			}
			return new int[] { fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1) };
		}
		catch (IOException | RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("pipe2 could not be called", ex);
		}
	}

	/** A NULL-terminated array of C strings. */
	private static MemorySegment strings(Arena arena, List<String> values) {
		MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
		for (int i = 0; i < values.size(); i++) {
			array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
		}
		array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
		return array;
	}

	private static void check(String call, int rc) throws IOException {
		if (rc != 0) {
			throw new IOException(call + ": " + strerror(rc));
		}
	}

	/**
	 * A downcall handle for libc's {@code name}; null (and named in {@link #unavailable})
	 * when it has none.
	 */
	private static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... options) {
		return LIBC.find(name).map((symbol) -> LINKER.downcallHandle(symbol, descriptor, options)).orElseGet(() -> {
			MISSING.add(name);
			return null;
		});
	}

}
