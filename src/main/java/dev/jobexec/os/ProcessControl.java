package dev.jobexec.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.CAPTURE_ERRNO;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;

/** Signals, reaping and the subreaper, behind methods named for what they do. */
public final class ProcessControl {

	/** Linux signal numbers (x86_64 and aarch64 agree on these). */
	public static final int SIGKILL = 9;

	public static final int SIGTERM = 15;

	public static final int SIGCONT = 18;

	public static final int SIGSTOP = 19;

	/**
	 * What {@link #waitNoHang} returns instead of a wait status, which is never negative.
	 */
	private static final int RUNNING = -1;

	private static final int NOT_A_CHILD = -2;

	private static final int PR_SET_CHILD_SUBREAPER = 36;

	private static final int WNOHANG = 1;

	private static final MethodHandle KILL = Libc.find("kill", FunctionDescriptor.of(INT, INT, INT), CAPTURE_ERRNO);

	private static final MethodHandle PRCTL = Libc.find("prctl", FunctionDescriptor.of(INT, INT, LONG),
			Linker.Option.firstVariadicArg(1), CAPTURE_ERRNO);

	private static final int SYS_PIDFD_SEND_SIGNAL = 424;

	private static final MethodHandle PIDFD_SEND_SIGNAL = Libc.find("syscall",
			FunctionDescriptor.of(LONG, LONG, INT, INT, ADDRESS, INT), Linker.Option.firstVariadicArg(1),
			CAPTURE_ERRNO);

	private static final MethodHandle WAIT4 = Libc.find("wait4", FunctionDescriptor.of(INT, INT, ADDRESS, INT, ADDRESS),
			CAPTURE_ERRNO);

	/** struct rusage: two timevals (user, system), then ru_maxrss in kilobytes. */
	private static final long RUSAGE_SIZE = 144;

	private ProcessControl() {
	}

	/**
	 * Makes this process a child subreaper ({@code prctl(PR_SET_CHILD_SUBREAPER, 1)}):
	 * orphaned descendants are re-parented to it instead of to init.
	 * @throws IllegalStateException with the reason when the kernel refuses or there is
	 * no prctl
	 */
	public static void becomeChildSubreaper() {
		if (PRCTL == null) {
			throw new IllegalStateException("this platform has no prctl (not Linux)");
		}
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			int rc = Libc.call("prctl", () -> (int) PRCTL.invokeExact(state, PR_SET_CHILD_SUBREAPER, 1L));
			if (rc != 0) {
				throw new IllegalStateException("prctl(PR_SET_CHILD_SUBREAPER) failed with errno " + Libc.errno(state));
			}
		}
	}

	/**
	 * Reaps one zombie child with {@code wait4(pid, WNOHANG)}. Call it only for a pid
	 * that nothing else waits for (a job's watcher, a {@link Process}), or that would
	 * lose the exit status. Returns whether a zombie was reaped (false when the child is
	 * still running or is not a child of this process).
	 */
	public static boolean reapZombie(long pid) {
		return waitNoHang(pid, MemorySegment.NULL) >= 0;
	}

	/**
	 * {@code wait4(pid, WNOHANG)} for a child of this process that only the caller waits
	 * for: its raw wait status once it has ended (and is reaped by this call), or null
	 * while it runs.
	 * @throws IllegalStateException when {@code pid} is not (or no longer) a child of
	 * this process
	 */
	public static Integer reap(long pid) {
		int status = waitNoHang(pid, MemorySegment.NULL);
		if (status == NOT_A_CHILD) {
			throw new IllegalStateException("process " + pid + " is not a child of this service (or was reaped)");
		}
		return (status == RUNNING) ? null : status;
	}

	/**
	 * A reaped process: its raw wait status and what it used, by {@code getrusage}'s
	 * account (itself and the children it waited for).
	 */
	public record Reaped(int status, long userMicros, long systemMicros, long maxRssKilobytes) {
	}

	/**
	 * {@link #reap} with the child's resource usage ({@code wait4(pid, WNOHANG)}): null
	 * while it runs.
	 * @throws IllegalStateException when {@code pid} is not (or no longer) a child of
	 * this process
	 */
	public static Reaped reapWithUsage(long pid) {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment usage = arena.allocate(RUSAGE_SIZE, 8);
			int status = waitNoHang(pid, usage);
			if (status == NOT_A_CHILD) {
				throw new IllegalStateException("process " + pid + " is not a child of this service (or was reaped)");
			}
			return (status == RUNNING) ? null
					: new Reaped(status, micros(usage, 0), micros(usage, 16), usage.get(LONG, 32));
		}
	}

	private static long micros(MemorySegment timeval, long offset) {
		return timeval.get(LONG, offset) * 1_000_000 + timeval.get(LONG, offset + 8);
	}

	/**
	 * {@code wait4(pid, WNOHANG)}, retried when interrupted: the raw wait status, RUNNING
	 * or NOT_A_CHILD; the child's rusage into {@code usage} (or nowhere, for
	 * {@link MemorySegment#NULL}).
	 */
	private static int waitNoHang(long pid, MemorySegment usage) {
		if (pid <= 1) {
			throw new IllegalArgumentException("refusing to wait for process " + pid);
		}
		MethodHandle wait4 = Libc.require(WAIT4, "wait4");
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			MemorySegment status = arena.allocate(INT);
			while (true) {
				int rc = Libc.call("wait4",
						() -> (int) wait4.invokeExact(state, Math.toIntExact(pid), status, WNOHANG, usage));
				if (rc == pid) {
					return status.get(INT, 0);
				}
				if (rc == 0) {
					return RUNNING;
				}
				int errno = Libc.errno(state);
				if (errno == Libc.ECHILD) {
					return NOT_A_CHILD;
				}
				if (errno != Libc.EINTR) {
					throw new IllegalStateException("wait4(" + pid + ") failed with errno " + errno);
				}
			}
		}
	}

	/**
	 * Sends {@code signal} to every process of the group {@code pgid}; returns false when
	 * the group has no member left (zombies count as members until they are reaped).
	 */
	public static boolean signalGroup(long pgid, int signal) {
		if (pgid <= 1) {
			throw new IllegalArgumentException("refusing to signal process group " + pgid);
		}
		return kill(-pgid, signal);
	}

	/** Sends {@code signal} to one process; returns false when it no longer exists. */
	public static boolean signalProcess(long pid, int signal) {
		if (pid <= 1) {
			throw new IllegalArgumentException("refusing to signal process " + pid);
		}
		return kill(pid, signal);
	}

	/**
	 * Sends {@code signal} to the process of {@code pidFd}
	 * ({@code pidfd_send_signal(2)}); returns false when it has ended.
	 */
	public static boolean signalPidFd(int pidFd, int signal) {
		MethodHandle send = Libc.require(PIDFD_SEND_SIGNAL, "syscall");
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			long rc = Libc.call("pidfd_send_signal", () -> (long) send.invokeExact(state, (long) SYS_PIDFD_SEND_SIGNAL,
					pidFd, signal, MemorySegment.NULL, 0));
			if (rc == 0) {
				return true;
			}
			int errno = Libc.errno(state);
			if (errno == Libc.ESRCH) {
				return false;
			}
			throw new IllegalStateException(
					"pidfd_send_signal(" + pidFd + ", " + signal + ") failed with errno " + errno);
		}
	}

	/** Signals a process, and first the process group it leads, if it leads one. */
	public static void signalLeaderAndGroup(ProcessTable.Entry process, int signal) {
		if (process.pgid() == process.pid()) {
			signalGroup(process.pgid(), signal);
		}
		signalProcess(process.pid(), signal);
	}

	private static boolean kill(long target, int signal) {
		MethodHandle kill = Libc.require(KILL, "kill");
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = Libc.callState(arena);
			int rc = Libc.call("kill", () -> (int) kill.invokeExact(state, Math.toIntExact(target), signal));
			if (rc == 0) {
				return true;
			}
			int errno = Libc.errno(state);
			if (errno == Libc.ESRCH) {
				return false;
			}
			throw new IllegalStateException("kill(" + target + ", " + signal + ") failed with errno " + errno
					+ ((errno == Libc.EPERM) ? " (not permitted)" : ""));
		}
	}

}
