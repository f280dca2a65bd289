package dev.jobexec.execution.process;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionOutcome.Status;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.execution.reaper.NativeProcesses;
import dev.jobexec.execution.reaper.ProcessTable;
import lombok.extern.slf4j.Slf4j;

/**
 * One running job process and its process group. One platform thread watches it: it polls
 * the output pipes, the stdin pipe and a pidfd of the leader together, reaps the leader
 * itself (so the wait status, and the signal that ended it, is real), runs the
 * termination ladder, and reports the outcome once the group is gone.
 */
@Slf4j
final class ProcessJob implements RunningJob {

	static final RunningJob NOT_STARTED = new RunningJob() {

		@Override
		public Long pid() {
			return null;
		}

		@Override
		public void terminate(TerminationReason reason) {
		}

	};

	/**
	 * How long to wait, after SIGKILL, for the group to disappear before reporting
	 * anyway.
	 */
	private static final Duration AFTER_KILL = Duration.ofSeconds(2);

	/** How long the output pipes get to reach end of stream once the group is gone. */
	private static final Duration DRAIN_DEADLINE = Duration.ofSeconds(1);

	/**
	 * How often a group that outlives its leader is checked while its output is still
	 * read.
	 */
	private static final int GROUP_POLL_MILLIS = 10;

	/**
	 * A bound on each wait for the leader, so that a lost wake-up costs at most this
	 * much.
	 */
	private static final int LEADER_POLL_MILLIS = 1000;

	private static final int READ_BUFFER = 64 * 1024;

	private static final Map<Integer, String> SIGNAL_NAMES = Map.of(1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 6,
			"SIGABRT", 9, "SIGKILL", 11, "SIGSEGV", 13, "SIGPIPE", 14, "SIGALRM", 15, "SIGTERM", 24, "SIGXCPU");

	interface Finisher {

		void finished(ExecutionOutcome outcome);

	}

	private final ExecutionSpec spec;

	private final int pid;

	private final Duration killGrace;

	private final ScheduledExecutorService timer;

	private final Finisher finisher;

	private final OutputCapture stdout;

	private final OutputCapture stderr;

	private final Object lock = new Object();

	/**
	 * Our ends of the pipes and the leader's pidfd; -1 once closed. Only the watcher
	 * touches them.
	 */
	private int stdinFd;

	private int stdoutFd;

	private int stderrFd;

	private int pidFd;

	private int stdinWritten;

	private TerminationReason reason;

	private long ladderStartedAt;

	private boolean ladderStarted;

	private boolean groupGone;

	ProcessJob(ExecutionSpec spec, Posix.Spawned spawned, int pidFd, Duration killGrace, int maxOutput,
			ScheduledExecutorService timer, Finisher finisher) {
		this.spec = spec;
		this.pid = spawned.pid();
		this.stdinFd = spawned.stdin();
		this.stdoutFd = spawned.stdout();
		this.stderrFd = spawned.stderr();
		this.pidFd = pidFd;
		this.killGrace = killGrace;
		this.timer = timer;
		this.finisher = finisher;
		this.stdout = new OutputCapture(maxOutput);
		this.stderr = new OutputCapture(maxOutput);
	}

	@Override
	public Long pid() {
		return (long) pid;
	}

	void supervise() {
		Thread.ofPlatform().name("jobexec-job-" + pid).daemon(true).start(this::watch);
	}

	@Override
	public void terminate(TerminationReason terminationReason) {
		synchronized (lock) {
			if (reason != null || groupGone) {
				return;
			}
			reason = terminationReason;
		}
		startLadder();
	}

	/**
	 * SIGTERM to the group now, SIGKILL to whatever is left of it after the kill-grace.
	 */
	private void startLadder() {
		synchronized (lock) {
			if (ladderStarted || groupGone) {
				return;
			}
			ladderStarted = true;
			ladderStartedAt = System.nanoTime();
		}
		NativeProcesses.signalGroup(pid, NativeProcesses.SIGTERM);
		timer.schedule(this::escalate, killGrace.toNanos(), TimeUnit.NANOSECONDS);
	}

	private void escalate() {
		synchronized (lock) {
			if (groupGone) {
				return;
			}
		}
		if (groupAlive()) {
			log.debug("Process group {} outlived its kill-grace of {}; sending SIGKILL", pid, killGrace);
			NativeProcesses.signalGroup(pid, NativeProcesses.SIGKILL);
		}
	}

	private void watch() {
		int status;
		try (Arena arena = Arena.ofConfined()) {
			Pipes pipes = new Pipes(arena);
			status = pipes.awaitLeader();
			if (groupAlive()) {
				// The leader is gone but members of its group live on: they end with the
				// job.
				startLadder();
				long killAt;
				synchronized (lock) {
					killAt = ladderStartedAt + killGrace.toNanos();
				}
				if (!pipes.awaitGroupGone(killAt)) {
					NativeProcesses.signalGroup(pid, NativeProcesses.SIGKILL);
					if (!pipes.awaitGroupGone(System.nanoTime() + AFTER_KILL.toNanos())) {
						log.warn("Process group {} still has live members after SIGKILL", pid);
					}
				}
			}
			synchronized (lock) {
				groupGone = true;
			}
			if (!pipes.drain(System.nanoTime() + DRAIN_DEADLINE.toNanos())) {
				log.debug("Output of process {} is still held open by a process outside its group", pid);
			}
		}
		catch (RuntimeException | Error ex) {
			// Unwatched, the group would outlive its job: it goes now (the reaper reaps
			// the leader).
			log.error("Lost track of process {} of job {}; killing its group", pid, spec.jobId(), ex);
			NativeProcesses.signalGroup(pid, NativeProcesses.SIGKILL);
			status = -1;
		}
		finally {
			Posix.close(stdinFd);
			Posix.close(stdoutFd);
			Posix.close(stderrFd);
			Posix.close(pidFd);
			stdinFd = stdoutFd = stderrFd = pidFd = -1;
		}
		finisher.finished(outcome(status));
	}

	/** The watcher's poll set and buffers, confined to its thread. */
	private final class Pipes {

		private final MemorySegment fds;

		private final MemorySegment buffer;

		private final MemorySegment state;

		private final MemorySegment input;

		private final byte[] bytes = new byte[READ_BUFFER];

		Pipes(Arena arena) {
			this.fds = arena.allocate(Posix.POLLFD, 4);
			this.buffer = arena.allocate(READ_BUFFER);
			this.state = Posix.callState(arena);
			this.input = (stdinFd >= 0)
					? arena.allocateFrom(ValueLayout.JAVA_BYTE, spec.stdin().getBytes(StandardCharsets.UTF_8))
					: MemorySegment.NULL;
		}

		/**
		 * Reads output and feeds stdin until the leader has ended; returns its raw wait
		 * status.
		 */
		int awaitLeader() {
			while (true) {
				poll(LEADER_POLL_MILLIS, true);
				// The pidfd is readable once the leader has ended; a timed-out poll
				// checks as well.
				Integer status = NativeProcesses.reap(pid);
				if (status != null) {
					Posix.close(pidFd);
					pidFd = -1;
					Posix.close(stdinFd);
					stdinFd = -1;
					return status;
				}
			}
		}

		/**
		 * Reads output until no live member of the group is left or the deadline passes.
		 */
		boolean awaitGroupGone(long deadlineNanos) {
			while (groupAlive()) {
				if (System.nanoTime() >= deadlineNanos) {
					return false;
				}
				poll(GROUP_POLL_MILLIS, false);
			}
			return true;
		}

		/** Reads output until both pipes are at end of stream or the deadline passes. */
		boolean drain(long deadlineNanos) {
			while (stdoutFd >= 0 || stderrFd >= 0) {
				long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
				if (left <= 0) {
					return false;
				}
				poll((int) Math.min(left, LEADER_POLL_MILLIS), false);
			}
			return true;
		}

		/** One poll of the open pipes (and the pidfd); handles whatever is ready. */
		private void poll(int timeoutMillis, boolean leader) {
			int count = 0;
			count = add(count, stdoutFd, Posix.POLLIN);
			count = add(count, stderrFd, Posix.POLLIN);
			count = add(count, stdinFd, Posix.POLLOUT);
			if (leader) {
				count = add(count, pidFd, Posix.POLLIN);
			}
			if (count == 0) {
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
				return;
			}
			if (Posix.poll(fds, count, timeoutMillis, state) == 0) {
				return;
			}
			for (int i = 0; i < count; i++) {
				MemorySegment entry = fds.asSlice(i * Posix.POLLFD.byteSize(), Posix.POLLFD);
				int fd = entry.get(ValueLayout.JAVA_INT, Posix.POLLFD_FD);
				short revents = entry.get(ValueLayout.JAVA_SHORT, Posix.POLLFD_REVENTS);
				if (revents == 0) {
					continue;
				}
				if (fd == stdoutFd) {
					stdoutFd = read(fd, stdout);
				}
				else if (fd == stderrFd) {
					stderrFd = read(fd, stderr);
				}
				else if (fd == stdinFd) {
					stdinFd = feed(fd, revents);
				}
			}
		}

		private int add(int count, int fd, int events) {
			if (fd < 0) {
				return count;
			}
			MemorySegment entry = fds.asSlice(count * Posix.POLLFD.byteSize(), Posix.POLLFD);
			entry.set(ValueLayout.JAVA_INT, Posix.POLLFD_FD, fd);
			entry.set(ValueLayout.JAVA_SHORT, Posix.POLLFD_EVENTS, (short) events);
			entry.set(ValueLayout.JAVA_SHORT, Posix.POLLFD_REVENTS, (short) 0);
			return count + 1;
		}

		/**
		 * Reads what is there into {@code capture}; returns the fd, or -1 once it is
		 * closed at end of stream.
		 */
		private int read(int fd, OutputCapture capture) {
			long read = Posix.read(fd, buffer, state);
			if (read > 0) {
				MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) read);
				capture.write(bytes, 0, (int) read);
				return fd;
			}
			if (read == -Posix.EINTR || read == -Posix.EAGAIN) {
				return fd;
			}
			Posix.close(fd);
			return -1;
		}

		/**
		 * Writes the next part of stdin; returns the fd, or -1 once all is written or the
		 * job closed it.
		 */
		private int feed(int fd, short revents) {
			if ((revents & Posix.POLLOUT) != 0 && stdinWritten < input.byteSize()) {
				long written = Posix.write(fd, input.asSlice(stdinWritten), state);
				if (written > 0) {
					stdinWritten += (int) written;
				}
				else if (written != -Posix.EAGAIN && written != -Posix.EINTR) {
					// EPIPE: the job closed its stdin or ended before reading all of it.
					Posix.close(fd);
					return -1;
				}
			}
			else if ((revents & Posix.POLLOUT) == 0) {
				Posix.close(fd);
				return -1;
			}
			if (stdinWritten >= input.byteSize()) {
				Posix.close(fd);
				return -1;
			}
			return fd;
		}

	}

	private ExecutionOutcome outcome(int status) {
		// The raw wait status: the low 7 bits are the signal that ended the leader, or 0
		// for an exit.
		int termSignal = status & 0x7f;
		Integer signal = (status >= 0 && termSignal != 0 && termSignal != 0x7f) ? termSignal : null;
		int exit = (status < 0) ? -1 : (signal != null) ? 128 + signal : (status >> 8) & 0xff;
		TerminationReason terminated;
		synchronized (lock) {
			terminated = reason;
		}
		Status outcome = (terminated != null) ? ExecutionOutcome.statusFor(terminated)
				: (exit == 0) ? Status.SUCCEEDED : Status.FAILED;
		String error = switch (outcome) {
			case SUCCEEDED -> null;
			case TIMED_OUT -> "timed out after " + spec.timeout() + "; the process group was terminated";
			case CANCELLED -> (terminated == TerminationReason.SHUTDOWN) ? "terminated by service shutdown"
					: "cancelled; the process group was terminated";
			case FAILED -> (status < 0) ? "the service lost track of the process" : (signal != null)
					? "killed by signal " + signal + " (" + signalName(signal) + ")" : "exited with code " + exit;
		};
		return new ExecutionOutcome(outcome, (status < 0) ? null : exit, signal, null, error, stdout.snapshot(),
				stderr.snapshot(), terminated);
	}

	private boolean groupAlive() {
		return NativeProcesses.signalGroup(pid, 0) && !ProcessTable.liveMembers(pid).isEmpty();
	}

	static String signalName(int signal) {
		return SIGNAL_NAMES.getOrDefault(signal, "signal " + signal);
	}

}
