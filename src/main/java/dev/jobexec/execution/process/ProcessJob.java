package dev.jobexec.execution.process;

import java.io.IOException;
import java.io.OutputStream;
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
 * One running job process and its process group: captures its output, runs the termination
 * ladder, and reports the outcome once the leader is reaped and the group is gone.
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

	/** How long to wait, after SIGKILL, for the group to disappear before reporting anyway. */
	private static final Duration AFTER_KILL = Duration.ofSeconds(2);

	/** How long the output pumps get to reach end of stream once the group is gone. */
	private static final Duration PUMP_DEADLINE = Duration.ofSeconds(1);

	private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

	private static final Map<Integer, String> SIGNAL_NAMES = Map.of(1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 6,
			"SIGABRT", 9, "SIGKILL", 11, "SIGSEGV", 13, "SIGPIPE", 14, "SIGALRM", 15, "SIGTERM", 24, "SIGXCPU");

	interface Finisher {

		void finished(ExecutionOutcome outcome);

	}

	private final ExecutionSpec spec;

	private final Process process;

	private final long pid;

	private final Duration killGrace;

	private final ScheduledExecutorService timer;

	private final Finisher finisher;

	private final OutputCapture stdout;

	private final OutputCapture stderr;

	private final Object lock = new Object();

	private Thread stdoutPump;

	private Thread stderrPump;

	private TerminationReason reason;

	private long ladderStartedAt;

	private boolean ladderStarted;

	private boolean groupGone;

	ProcessJob(ExecutionSpec spec, Process process, Duration killGrace, int maxOutput,
			ScheduledExecutorService timer, Finisher finisher) {
		this.spec = spec;
		this.process = process;
		this.pid = process.pid();
		this.killGrace = killGrace;
		this.timer = timer;
		this.finisher = finisher;
		this.stdout = new OutputCapture(maxOutput);
		this.stderr = new OutputCapture(maxOutput);
	}

	@Override
	public Long pid() {
		return pid;
	}

	void supervise() {
		stdoutPump = Thread.ofPlatform()
			.name("jobexec-stdout-" + pid)
			.daemon(true)
			.start(() -> stdout.drain(process.getInputStream()));
		stderrPump = Thread.ofPlatform()
			.name("jobexec-stderr-" + pid)
			.daemon(true)
			.start(() -> stderr.drain(process.getErrorStream()));
		if (spec.stdin() != null) {
			Thread.ofVirtual().name("jobexec-stdin-" + pid).start(this::feedStdin);
		}
		Thread.ofVirtual().name("jobexec-job-" + pid).start(this::awaitEnd);
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

	/** SIGTERM to the group now, SIGKILL to whatever is left of it after the kill-grace. */
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

	private void awaitEnd() {
		int exit = awaitLeader();
		if (groupAlive()) {
			// The leader is gone but members of its group live on: they end with the job.
			startLadder();
			long killAt;
			synchronized (lock) {
				killAt = ladderStartedAt + killGrace.toNanos();
			}
			if (!awaitGroupGone(killAt)) {
				NativeProcesses.signalGroup(pid, NativeProcesses.SIGKILL);
				if (!awaitGroupGone(System.nanoTime() + AFTER_KILL.toNanos())) {
					log.warn("Process group {} still has live members after SIGKILL", pid);
				}
			}
		}
		synchronized (lock) {
			groupGone = true;
		}
		joinPumps();
		finisher.finished(outcome(exit));
	}

	private int awaitLeader() {
		while (true) {
			try {
				return process.waitFor();
			}
			catch (InterruptedException ex) {
				// Only the service interrupts this thread, and only at the very end of a shutdown.
				terminate(TerminationReason.SHUTDOWN);
			}
		}
	}

	private ExecutionOutcome outcome(int exit) {
		Integer signal = (exit > 128 && exit <= 128 + 64) ? exit - 128 : null;
		TerminationReason terminated;
		synchronized (lock) {
			terminated = reason;
		}
		Status status = (terminated != null) ? ExecutionOutcome.statusFor(terminated)
				: (exit == 0) ? Status.SUCCEEDED : Status.FAILED;
		String error = switch (status) {
			case SUCCEEDED -> null;
			case TIMED_OUT -> "timed out after " + spec.timeout() + "; the process group was terminated";
			case CANCELLED -> (terminated == TerminationReason.SHUTDOWN) ? "terminated by service shutdown"
					: "cancelled; the process group was terminated";
			case FAILED -> (signal != null) ? "killed by signal " + signal + " (" + signalName(signal) + ")"
					: "exited with code " + exit;
		};
		return new ExecutionOutcome(status, exit, signal, null, error, stdout.snapshot(), stderr.snapshot(),
				terminated);
	}

	private boolean groupAlive() {
		return NativeProcesses.signalGroup(pid, 0) && !ProcessTable.liveMembers(pid).isEmpty();
	}

	private boolean awaitGroupGone(long deadlineNanos) {
		while (groupAlive()) {
			if (System.nanoTime() >= deadlineNanos) {
				return false;
			}
			LockSupport.parkNanos(POLL_NANOS);
		}
		return true;
	}

	private void joinPumps() {
		long deadline = System.nanoTime() + PUMP_DEADLINE.toNanos();
		for (Thread pump : new Thread[] { stdoutPump, stderrPump }) {
			long left = deadline - System.nanoTime();
			try {
				if (left <= 0 || !pump.join(Duration.ofNanos(left))) {
					log.debug("Output of process {} is still held open by a process outside its group", pid);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private void feedStdin() {
		try (OutputStream in = process.getOutputStream()) {
			in.write(spec.stdin().getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			// The job closed its stdin or ended before reading all of it.
		}
	}

	static String signalName(int signal) {
		return SIGNAL_NAMES.getOrDefault(signal, "signal " + signal);
	}

}
