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
 * The one place that calls libc through the Foreign Function &amp; Memory API; everything else
 * calls these methods, named for what they do.
 */
public final class NativeProcesses {

	/** Linux signal numbers (x86_64 and aarch64 agree on these). */
	public static final int SIGKILL = 9;

	public static final int SIGTERM = 15;

	private static final int ESRCH = 3;

	private static final int EPERM = 1;

	private static final Linker LINKER = Linker.nativeLinker();

	private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

	private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

	private static final MethodHandle KILL = LINKER.downcallHandle(
			LINKER.defaultLookup().find("kill").orElseThrow(),
			FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
			Linker.Option.captureCallState("errno"));

	private NativeProcesses() {
	}

	/**
	 * Sends {@code signal} to every process of the group {@code pgid}; returns false when the group
	 * has no member left (zombies count as members until they are reaped).
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
