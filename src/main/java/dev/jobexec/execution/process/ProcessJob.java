package dev.jobexec.execution.process;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionOutcome.Status;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.os.Poller;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;
import lombok.extern.slf4j.Slf4j;

/**
 * One running job process and its process group. One platform thread watches it: it polls
 * the output pipes, the stdin pipe and a pidfd of the leader together, reaps the leader
 * itself (so the wait status, and the signal that ended it, is real), runs the
 * termination ladder, and reports the outcome once the group is gone.
 */
@Slf4j
final class ProcessJob implements RunningJob {

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

	private final ExecutionSpec spec;

	private final int pid;

	private final Duration killGrace;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final ExecutionListener listener;

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

	private TerminationReason reason;

	private long ladderStartedAt;

	private boolean ladderStarted;

	private boolean groupGone;

	ProcessJob(ExecutionSpec spec, Spawner.Spawned spawned, int pidFd, Duration killGrace, int maxOutput,
			ScheduledExecutorService timer, JobProcesses processes, ExecutionListener listener) {
		this.spec = spec;
		this.pid = spawned.pid();
		this.stdinFd = spawned.stdin();
		this.stdoutFd = spawned.stdout();
		this.stderrFd = spawned.stderr();
		this.pidFd = pidFd;
		this.killGrace = killGrace;
		this.timer = timer;
		this.processes = processes;
		this.listener = listener;
		this.stdout = new OutputCapture(maxOutput);
		this.stderr = new OutputCapture(maxOutput);
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
		ProcessControl.signalGroup(pid, ProcessControl.SIGTERM);
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
			ProcessControl.signalGroup(pid, ProcessControl.SIGKILL);
		}
	}

	private void watch() {
		int status;
		try (Pipes pipes = new Pipes()) {
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
					ProcessControl.signalGroup(pid, ProcessControl.SIGKILL);
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
			ProcessControl.signalGroup(pid, ProcessControl.SIGKILL);
			status = -1;
		}
		finally {
			Poller.close(stdinFd);
			Poller.close(stdoutFd);
			Poller.close(stderrFd);
			Poller.close(pidFd);
			stdinFd = stdoutFd = stderrFd = pidFd = -1;
		}
		processes.ended(spec.jobId(), (long) pid);
		listener.finished(outcome(status));
	}

	/** The watcher's poll set, buffers and stdin, confined to its thread. */
	private final class Pipes implements AutoCloseable {

		private final Poller poller = new Poller(4, READ_BUFFER);

		private final byte[] bytes = new byte[READ_BUFFER];

		private final byte[] input = (stdinFd >= 0) ? spec.stdin().getBytes(StandardCharsets.UTF_8) : new byte[0];

		private int inputWritten;

		/**
		 * Reads output and feeds stdin until the leader has ended; returns its raw wait
		 * status.
		 */
		int awaitLeader() {
			while (true) {
				poll(LEADER_POLL_MILLIS, true);
				// The pidfd is readable once the leader has ended; a timed-out poll
				// checks as well.
				Integer status = ProcessControl.reap(pid);
				if (status != null) {
					Poller.close(pidFd);
					pidFd = -1;
					Poller.close(stdinFd);
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
			poller.clear();
			poller.add(stdoutFd, Poller.POLLIN);
			poller.add(stderrFd, Poller.POLLIN);
			poller.add(stdinFd, Poller.POLLOUT);
			if (leader) {
				poller.add(pidFd, Poller.POLLIN);
			}
			if (poller.size() == 0) {
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
				return;
			}
			if (poller.poll(timeoutMillis) == 0) {
				return;
			}
			for (int i = 0; i < poller.size(); i++) {
				int fd = poller.fd(i);
				short ready = poller.ready(i);
				if (ready == 0) {
					continue;
				}
				if (fd == stdoutFd) {
					stdoutFd = read(fd, stdout);
				}
				else if (fd == stderrFd) {
					stderrFd = read(fd, stderr);
				}
				else if (fd == stdinFd) {
					stdinFd = feed(fd, ready);
				}
			}
		}

		/**
		 * Reads what is there into {@code capture}; returns the fd, or -1 once it is
		 * closed at end of stream.
		 */
		private int read(int fd, OutputCapture capture) {
			int read = poller.read(fd, bytes);
			if (read > 0) {
				capture.write(bytes, 0, read);
				return fd;
			}
			if (read == -Poller.EINTR || read == -Poller.EAGAIN) {
				return fd;
			}
			Poller.close(fd);
			return -1;
		}

		/**
		 * Writes the next part of stdin; returns the fd, or -1 once all is written or the
		 * job closed it.
		 */
		private int feed(int fd, short ready) {
			if ((ready & Poller.POLLOUT) != 0 && inputWritten < input.length) {
				int written = poller.write(fd, input, inputWritten);
				if (written > 0) {
					inputWritten += written;
				}
				else if (written != -Poller.EAGAIN && written != -Poller.EINTR) {
					// EPIPE: the job closed its stdin or ended before reading all of it.
					Poller.close(fd);
					return -1;
				}
			}
			else if ((ready & Poller.POLLOUT) == 0) {
				Poller.close(fd);
				return -1;
			}
			if (inputWritten >= input.length) {
				Poller.close(fd);
				return -1;
			}
			return fd;
		}

		@Override
		public void close() {
			poller.close();
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
		Status ending = (terminated != null) ? ExecutionOutcome.statusFor(terminated)
				: (exit == 0) ? Status.SUCCEEDED : Status.FAILED;
		String error = switch (ending) {
			case SUCCEEDED -> null;
			case TIMED_OUT -> "timed out after " + spec.timeout() + "; the process group was terminated";
			case CANCELLED -> (terminated == TerminationReason.SHUTDOWN) ? "terminated by service shutdown"
					: "cancelled; the process group was terminated";
			case FAILED -> (status < 0) ? "the service lost track of the process" : (signal != null)
					? "killed by signal " + signal + " (" + signalName(signal) + ")" : "exited with code " + exit;
		};
		return ExecutionOutcome.processEnded(ending, (status < 0) ? null : exit, signal, error, stdout.snapshot(),
				stderr.snapshot(), terminated);
	}

	private boolean groupAlive() {
		return ProcessControl.signalGroup(pid, 0) && !ProcessTable.liveMembers(pid).isEmpty();
	}

	static String signalName(int signal) {
		return SIGNAL_NAMES.getOrDefault(signal, "signal " + signal);
	}

}
