package dev.jobexec.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.CAPTURE_ERRNO;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;
import static dev.jobexec.os.Libc.O_CLOEXEC;
import static dev.jobexec.os.Libc.O_RDONLY;
import static dev.jobexec.os.Libc.SHORT;

/**
 * Starts job processes with {@code posix_spawn} and {@code POSIX_SPAWN_SETSID}: each in
 * its own session and process group, without the JDK's {@code jspawnhelper} and without a
 * {@code setsid} exec, on pipes whose other ends it returns, and opens a pidfd for the
 * leader. Linux with glibc 2.34 or later
 * ({@code posix_spawn_file_actions_addclosefrom_np}).
 */
public final class Spawner {

	private static final int O_NONBLOCK = 0x800;

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

	private static final MethodHandle SPAWN = Libc.find("posix_spawn",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

	private static final MethodHandle ACTIONS_INIT = Libc.find("posix_spawn_file_actions_init",
			FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ACTIONS_DESTROY = Libc.find("posix_spawn_file_actions_destroy",
			FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ADD_DUP2 = Libc.find("posix_spawn_file_actions_adddup2",
			FunctionDescriptor.of(INT, ADDRESS, INT, INT));

	private static final MethodHandle ADD_OPEN = Libc.find("posix_spawn_file_actions_addopen",
			FunctionDescriptor.of(INT, ADDRESS, INT, ADDRESS, INT, INT));

	private static final MethodHandle ADD_CHDIR = Libc.find("posix_spawn_file_actions_addchdir_np",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle ADD_CLOSEFROM = Libc.find("posix_spawn_file_actions_addclosefrom_np",
			FunctionDescriptor.of(INT, ADDRESS, INT));

	private static final MethodHandle ATTR_INIT = Libc.find("posix_spawnattr_init",
			FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle ATTR_SETFLAGS = Libc.find("posix_spawnattr_setflags",
			FunctionDescriptor.of(INT, ADDRESS, SHORT));

	private static final MethodHandle ATTR_SETSIGMASK = Libc.find("posix_spawnattr_setsigmask",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle ATTR_SETSIGDEFAULT = Libc.find("posix_spawnattr_setsigdefault",
			FunctionDescriptor.of(INT, ADDRESS, ADDRESS));

	private static final MethodHandle SIGEMPTYSET = Libc.find("sigemptyset", FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle SIGFILLSET = Libc.find("sigfillset", FunctionDescriptor.of(INT, ADDRESS));

	private static final MethodHandle PIPE2 = Libc.find("pipe2", FunctionDescriptor.of(INT, ADDRESS, INT),
			CAPTURE_ERRNO);

	private static final MethodHandle FCNTL = Libc.find("fcntl", FunctionDescriptor.of(INT, INT, INT, INT),
			Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);

	private static final MethodHandle OPEN = Libc.find("open", FunctionDescriptor.of(INT, ADDRESS, INT),
			Linker.Option.firstVariadicArg(2), CAPTURE_ERRNO);

	private static final MethodHandle SYSCALL = Libc.find("syscall", FunctionDescriptor.of(LONG, LONG, INT, INT),
			Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);

	private Spawner() {
	}

	/** Why job processes cannot be started here, or null when they can. */
	public static String unavailable() {
		List<String> missing = Libc.missing();
		return missing.isEmpty() ? null
				: "this C library lacks " + String.join(", ", missing) + " (jobexec needs Linux with glibc 2.34+)";
	}

	/**
	 * A started job process: its pid (also its session and process group id) and our ends
	 * of its pipes ({@code stdin} is -1 when it reads {@code /dev/null}).
	 */
	public record Spawned(int pid, int stdin, int stdout, int stderr) {
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
	public static Spawned spawn(List<String> argv, List<String> environment, Path directory, boolean pipeStdin)
			throws IOException {
		int[] in = pipeStdin ? pipe() : null;
		int[] out = null;
		int[] err = null;
		try (Arena arena = Arena.ofConfined()) {
			out = pipe();
			err = pipe();
			int[] stdin = in;
			int[] stdout = out;
			int[] stderr = err;
			return Libc.call("posix_spawn", IOException.class, () -> {
				MemorySegment actions = arena.allocate(OPAQUE_SIZE, 16);
				check("posix_spawn_file_actions_init", (int) ACTIONS_INIT.invokeExact(actions));
				try {
					fileActions(arena, actions, stdin, stdout, stderr, directory);
					MemorySegment pid = arena.allocate(INT);
					int rc = (int) SPAWN.invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions,
							Attributes.SEGMENT, strings(arena, argv), strings(arena, environment));
					if (rc != 0) {
						throw new IOException(argv.getFirst() + ": " + Libc.strerror(rc));
					}
					Spawned spawned = new Spawned(pid.get(INT, 0), (stdin != null) ? stdin[1] : -1, stdout[0],
							stderr[0]);
					if (stdin != null) {
						stdin[1] = -1;
						nonBlocking(spawned.stdin());
					}
					stdout[0] = -1;
					stderr[0] = -1;
					return spawned;
				}
				finally {
					int destroyed = (int) ACTIONS_DESTROY.invokeExact(actions);
				}
			});
		}
		finally {
			// Whatever is still ours: the child's ends always, our ends only when
			// spawning failed.
			for (int[] pipe : new int[][] { in, out, err }) {
				if (pipe != null) {
					Poller.close(pipe[0]);
					Poller.close(pipe[1]);
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
				return Libc.call("posix_spawnattr_init", IOException.class, () -> {
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
				});
			}
			catch (IOException ex) {
				throw new IllegalStateException("the posix_spawn attributes could not be made", ex);
			}
		}

	}

	/**
	 * Makes {@code fd} non-blocking. Should this fail, it stays blocking and still works:
	 * a write then waits for the reader.
	 */
	static void nonBlocking(int fd) {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			int ignored = Libc.call("fcntl", () -> (int) FCNTL.invokeExact(state, fd, F_SETFL, O_NONBLOCK));
		}
	}

	/** {@code /dev/null} opened for reading, close-on-exec. */
	static int openDevNull() throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			MemorySegment path = arena.allocateFrom("/dev/null");
			int fd = Libc.call("open", IOException.class,
					() -> (int) Libc.require(OPEN, "open").invokeExact(state, path, O_RDONLY | O_CLOEXEC));
			if (fd < 0) {
				throw new IOException("/dev/null: " + Libc.strerror(Libc.errno(state)));
			}
			return fd;
		}
	}

	/**
	 * A pidfd for {@code pid} ({@code pidfd_open(2)}, Linux 5.3+); readable once the
	 * process has exited.
	 */
	public static int pidfd(int pid) throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			long fd = Libc.call("pidfd_open", IOException.class,
					() -> (long) SYSCALL.invokeExact(state, (long) SYS_PIDFD_OPEN, pid, 0));
			if (fd < 0) {
				throw new IOException("pidfd_open(" + pid + "): " + Libc.strerror(Libc.errno(state)));
			}
			return (int) fd;
		}
	}

	/** A pipe, both ends close-on-exec: {read, write}. */
	static int[] pipe() throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment fds = arena.allocate(INT, 2);
			MemorySegment state = Libc.callState(arena);
			int rc = Libc.call("pipe2", IOException.class, () -> (int) PIPE2.invokeExact(state, fds, O_CLOEXEC));
			if (rc != 0) {
				throw new IOException("pipe2: " + Libc.strerror(Libc.errno(state)));
			}
			return new int[] { fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1) };
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
			throw new IOException(call + ": " + Libc.strerror(rc));
		}
	}

}
