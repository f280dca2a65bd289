package dev.jobexec.execution.reaper;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Signals, the subreaper and zombie reaping: libc through the Foreign Function &amp;
 * Memory API, behind methods named for what they do. Starting and watching job processes
 * has its own libc calls, in {@code dev.jobexec.execution.process.Posix}.
 */
public final class NativeProcesses {

	/** Linux signal numbers (x86_64 and aarch64 agree on these). */
	public static final int SIGKILL = 9;

	public static final int SIGTERM = 15;

	private static final int ESRCH = 3;

	private static final int ECHILD = 10;

	private static final int EINTR = 4;

	/**
	 * What {@link #waitNoHang} returns instead of a wait status, which is never negative.
	 */
	private static final int RUNNING = -1;

	private static final int NOT_A_CHILD = -2;

	private static final int PR_SET_CHILD_SUBREAPER = 36;

	private static final int WNOHANG = 1;

	private static final int EPERM = 1;

	private static final Linker LINKER = Linker.nativeLinker();

	private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

	private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

	private static final MethodHandle KILL = LINKER.downcallHandle(LINKER.defaultLookup().find("kill").orElseThrow(),
			FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
			Linker.Option.captureCallState("errno"));

	private static final MethodHandle PRCTL = LINKER.defaultLookup()
		.find("prctl")
		.map((prctl) -> LINKER.downcallHandle(prctl,
				FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
				Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno")))
		.orElse(null);

	private static final MethodHandle WAITPID = LINKER.downcallHandle(
			LINKER.defaultLookup().find("waitpid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
					ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
			Linker.Option.captureCallState("errno"));

	private NativeProcesses() {
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
			MemorySegment state = arena.allocate(CALL_STATE);
			int rc = (int) PRCTL.invokeExact(state, PR_SET_CHILD_SUBREAPER, 1L);
			if (rc != 0) {
				throw new IllegalStateException(
						"prctl(PR_SET_CHILD_SUBREAPER) failed with errno " + (int) ERRNO.get(state, 0L));
			}
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("prctl could not be called", ex);
		}
	}

	/**
	 * Reaps one zombie child with {@code waitpid(pid, WNOHANG)}. Call it only for a pid
	 * that nothing else waits for (a job's watcher, a {@link Process}), or that would
	 * lose the exit status. Returns whether a zombie was reaped (false when the child is
	 * still running or is not a child of this process).
	 */
	public static boolean reapZombie(long pid) {
		return waitNoHang(pid) >= 0;
	}

	/**
	 * {@code waitpid(pid, WNOHANG)} for a child of this process that only the caller
	 * waits for: its raw wait status once it has ended (and is reaped by this call), or
	 * null while it runs.
	 * @throws IllegalStateException when {@code pid} is not (or no longer) a child of
	 * this process
	 */
	public static Integer reap(long pid) {
		int status = waitNoHang(pid);
		if (status == NOT_A_CHILD) {
			throw new IllegalStateException("process " + pid + " is not a child of this service (or was reaped)");
		}
		return (status == RUNNING) ? null : status;
	}

	/**
	 * {@code waitpid(pid, WNOHANG)}, retried when interrupted: the raw wait status,
	 * RUNNING or NOT_A_CHILD.
	 */
	private static int waitNoHang(long pid) {
		if (pid <= 1) {
			throw new IllegalArgumentException("refusing to wait for process " + pid);
		}
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = arena.allocate(CALL_STATE);
			MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
			while (true) {
				int rc = (int) WAITPID.invokeExact(state, Math.toIntExact(pid), status, WNOHANG);
				if (rc == pid) {
					return status.get(ValueLayout.JAVA_INT, 0);
				}
				if (rc == 0) {
					return RUNNING;
				}
				int errno = (int) ERRNO.get(state, 0L);
				if (errno == ECHILD) {
					return NOT_A_CHILD;
				}
				if (errno != EINTR) {
					throw new IllegalStateException("waitpid(" + pid + ") failed with errno " + errno);
				}
			}
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("waitpid(" + pid + ") could not be called", ex);
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

	private static boolean kill(long target, int signal) {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment state = arena.allocate(CALL_STATE);
			int rc = (int) KILL.invokeExact(state, Math.toIntExact(target), signal);
			if (rc == 0) {
				return true;
			}
			int errno = (int) ERRNO.get(state, 0L);
			if (errno == ESRCH) {
				return false;
			}
			throw new IllegalStateException("kill(" + target + ", " + signal + ") failed with errno " + errno
					+ ((errno == EPERM) ? " (not permitted)" : ""));
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("kill(" + target + ", " + signal + ") could not be called", ex);
		}
	}

}
