package dev.jobexec.execution.process;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionOutcome.Status;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.ExecutionStart;
import dev.jobexec.execution.ResourceLimits;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.os.JobCgroup;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;
import lombok.extern.slf4j.Slf4j;

/**
 * One running job process, its process group and, where the pool has them, its cgroup.
 * One platform thread watches it (taken from a pool of watcher threads): through
 * {@link JobPipes} it reads the output, feeds stdin and waits on a pidfd of the leader
 * together, reaps the leader itself (so the wait status, and the signal that ended it, is
 * real), runs the termination ladder, and reports the outcome once the job's processes
 * are gone: its cgroup empty, or without one, its process group. The ladder's SIGTERM
 * goes to the group and every process in the cgroup; its SIGKILL ends with
 * {@code cgroup.kill} (or the v1 freezer), which nothing escapes.
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

	/** Retries of a cgroup removal, 0.1 s apart and doubling. */
	private static final int CGROUP_REMOVAL_ATTEMPTS = 6;

	private static final Map<Integer, String> SIGNAL_NAMES = Map.of(1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 6,
			"SIGABRT", 9, "SIGKILL", 11, "SIGSEGV", 13, "SIGPIPE", 14, "SIGALRM", 15, "SIGTERM", 24, "SIGXCPU");

	private final ExecutionSpec spec;

	private final int pid;

	/** The job's cgroup, or null when the pool has none. */
	private final JobCgroup cgroup;

	private final Duration killGrace;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final ExecutionListener listener;

	private final OutputCapture stdout;

	private final OutputCapture stderr;

	private final JobPipes pipes;

	private final Object lock = new Object();

	/** When the job's timeout clock started: the start it reports. */
	private final Instant startedAt;

	/**
	 * Until when ({@link System#nanoTime}) the start is held back, to be reported with
	 * the end if the job ends by then.
	 */
	private final long startRecordBy;

	/** Whether the start has been reported; the watcher's alone. */
	private boolean startReported;

	private TerminationReason reason;

	private long ladderStartedAt;

	private boolean ladderStarted;

	private boolean groupGone;

	ProcessJob(ExecutionSpec spec, Spawner.Spawned spawned, int pidFd, JobCgroup cgroup, Duration killGrace,
			OutputCapture stdout, OutputCapture stderr, ScheduledExecutorService timer, JobProcesses processes,
			ExecutionListener listener, Instant startedAt, Duration startRecordDelay) {
		this.spec = spec;
		this.startedAt = startedAt;
		this.startRecordBy = System.nanoTime() + startRecordDelay.toNanos();
		this.pid = spawned.pid();
		this.cgroup = cgroup;
		this.killGrace = killGrace;
		this.timer = timer;
		this.processes = processes;
		this.listener = listener;
		this.stdout = stdout;
		this.stderr = stderr;
		byte[] input = (spawned.stdin() >= 0) ? spec.stdin().getBytes(StandardCharsets.UTF_8) : new byte[0];
		this.pipes = new JobPipes(spawned, pidFd, input, stdout, stderr);
	}

	/**
	 * The watcher threads: platform threads kept for a minute after their job ends, so
	 * that the next job's watcher need not start a thread (one per job cost a thread's
	 * start and end per job).
	 */
	private static final ExecutorService WATCHERS = Executors
		.newCachedThreadPool(Thread.ofPlatform().name("jobexec-job-idle").daemon(true).factory());

	void supervise() {
		WATCHERS.execute(() -> {
			// Named after the job's process while it watches it, as a thread dump shows.
			Thread watcher = Thread.currentThread();
			watcher.setName("jobexec-job-" + pid);
			try {
				watch();
			}
			finally {
				watcher.setName("jobexec-job-idle");
			}
		});
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
		// The SIGKILL step first, so that nothing that goes wrong with the SIGTERM can
		// keep it from coming (a failure in a timer task is not seen by anyone).
		timer.schedule(this::escalate, killGrace.toNanos(), TimeUnit.NANOSECONDS);
		ProcessControl.signalGroup(pid, ProcessControl.SIGTERM);
		if (cgroup != null) {
			// Whatever left the group but not the cgroup is asked to stop too.
			cgroup.signal(ProcessControl.SIGTERM);
		}
	}

	private void escalate() {
		synchronized (lock) {
			if (groupGone) {
				return;
			}
		}
		if (groupAlive()) {
			log.debug("Process group {} outlived its kill-grace of {}; sending SIGKILL", pid, killGrace);
			kill();
		}
	}

	/** SIGKILL to the whole job: its cgroup when it has one, and its process group. */
	private void kill() {
		if (cgroup != null) {
			cgroup.kill();
		}
		ProcessControl.signalGroup(pid, ProcessControl.SIGKILL);
	}

	private void watch() {
		int status;
		ProcessControl.Reaped reaped = null;
		try (pipes) {
			reaped = pipes.awaitLeader(pid, startRecordBy);
			if (reaped == null) {
				// Still running after the start-record delay: its start is stored now.
				reportStart(true);
				reaped = pipes.awaitLeader(pid);
			}
			status = reaped.status();
			if (groupAlive()) {
				// The leader is gone but members of its group live on: they end with the
				// job.
				reportStart(false);
				startLadder();
				long killAt;
				synchronized (lock) {
					killAt = ladderStartedAt + killGrace.toNanos();
				}
				if (!pipes.awaitGroupGone(killAt, this::groupAlive)) {
					kill();
					if (!pipes.awaitGroupGone(System.nanoTime() + AFTER_KILL.toNanos(), this::groupAlive)) {
						log.warn("Job {} (process group {}) still has live processes after SIGKILL", spec.jobId(), pid);
					}
				}
			}
			synchronized (lock) {
				groupGone = true;
			}
			long drainBy = System.nanoTime() + DRAIN_DEADLINE.toNanos();
			if (!startReported && !pipes.drain(Math.min(startRecordBy, drainBy))) {
				// A process outside the group holds the output open.
				reportStart(false);
			}
			if (!pipes.drain(drainBy)) {
				log.debug("Output of process {} is still held open by a process outside its group", pid);
			}
		}
		catch (RuntimeException | Error ex) {
			// Unwatched, the group would outlive its job: it goes now (the reaper reaps
			// the leader).
			log.error("Lost track of process {} of job {}; killing its group", pid, spec.jobId(), ex);
			kill();
			status = -1;
		}
		processes.ended(spec.jobId(), (long) pid);
		ResourceUsage usage = usage(reaped);
		boolean memoryKilled = cgroup != null && cgroup.killedAtMemoryLimit();
		if (cgroup != null) {
			// Empty since the group was gone. Kept as a slot (or removed) before the end
			// is reported, which starts the pool's next job from this thread: that job
			// then gets this slot, and a client that sees the end sees the slot free.
			try {
				removeCgroup(0);
			}
			catch (RuntimeException ex) {
				// The end is reported all the same; the service's stop removes the rest.
				log.warn("Could not release the cgroup of job {}", spec.jobId(), ex);
			}
		}
		ExecutionOutcome outcome = outcome(status, usage, memoryKilled);
		if (startReported) {
			listener.finished(outcome);
		}
		else {
			// Ended within the start-record delay: one report, and one store write.
			listener.startedAndFinished(new ExecutionStart(startedAt, (long) pid, null), outcome);
		}
	}

	/**
	 * Reports the start unless it was; {@code leaderAlive}: the leader is not reaped yet,
	 * so its start time in {@code /proc} is its own (once reaped, its pid could be
	 * another process's).
	 */
	private void reportStart(boolean leaderAlive) {
		if (startReported) {
			return;
		}
		// Reported at most once, even if the report fails half way: the job starts once.
		startReported = true;
		try {
			Long startTicks = leaderAlive ? ProcessTable.read(pid).map(ProcessTable.Entry::startTicks).orElse(null)
					: null;
			listener.started(new ExecutionStart(startedAt, (long) pid, startTicks));
		}
		catch (RuntimeException ex) {
			// The job runs on; its end is reported all the same.
			log.error("The start of job {} could not be reported", spec.jobId(), ex);
		}
	}

	/**
	 * What the job used: from its cgroup (every process it had), or from the leader's
	 * rusage.
	 */
	private ResourceUsage usage(ProcessControl.Reaped reaped) {
		if (cgroup != null) {
			JobCgroup.Usage used = cgroup.usage();
			return new ResourceUsage(used.cpuUser(), used.cpuSystem(), used.peakMemory(), used.processes(),
					ResourceUsage.CGROUP);
		}
		if (reaped == null) {
			return null;
		}
		return new ResourceUsage(Duration.ofNanos(reaped.userMicros() * 1_000),
				Duration.ofNanos(reaped.systemMicros() * 1_000), reaped.maxRssKilobytes() * 1024, null,
				ResourceUsage.RUSAGE);
	}

	/**
	 * Removes the job's cgroup, trying again a few times while the kernel still counts a
	 * process in it (one that is exiting).
	 */
	private void removeCgroup(int attempt) {
		if (cgroup.remove()) {
			return;
		}
		if (attempt < CGROUP_REMOVAL_ATTEMPTS) {
			try {
				timer.schedule(() -> removeCgroup(attempt + 1), 100L << attempt, TimeUnit.MILLISECONDS);
			}
			catch (RejectedExecutionException ex) {
				// The service is stopping: its stop removes what is left of the run.
				log.debug("The cgroup of job {} is left to the stop of the service", spec.jobId());
			}
		}
		else {
			log.warn("The cgroup of job {} could not be removed; the next start of the service removes it",
					spec.jobId());
			cgroup.abandon();
		}
	}

	private ExecutionOutcome outcome(int status, ResourceUsage usage, boolean memoryKilled) {
		// The raw wait status: the low 7 bits are the signal that ended the leader, or 0
		// for an exit.
		int termSignal = status & 0x7f;
		Integer signal = (status >= 0 && termSignal != 0 && termSignal != 0x7f) ? termSignal : null;
		int exit = (status < 0) ? -1 : (signal != null) ? 128 + signal : (status >> 8) & 0xff;
		TerminationReason terminated;
		synchronized (lock) {
			terminated = reason;
		}
		if (terminated == null && memoryKilled && exit != 0) {
			terminated = TerminationReason.MEMORY_LIMIT;
		}
		Status ending = (terminated != null) ? ExecutionOutcome.statusFor(terminated)
				: (exit == 0) ? Status.SUCCEEDED : Status.FAILED;
		String error = switch (ending) {
			case SUCCEEDED -> null;
			case TIMED_OUT -> "timed out after " + spec.timeout() + "; the process group was terminated";
			case CANCELLED -> (terminated == TerminationReason.SHUTDOWN) ? "terminated by service shutdown"
					: "cancelled; the process group was terminated";
			case FAILED -> (terminated == TerminationReason.MEMORY_LIMIT) ? memoryError(signal, exit)
					: (status < 0) ? "the service lost track of the process"
							: (signal != null) ? "killed by signal " + signal + " (" + signalName(signal) + ")"
									: "exited with code " + exit;
		};
		stdout.close();
		stderr.close();
		return ExecutionOutcome.processEnded(ending, (status < 0) ? null : exit, signal, error, stdout.snapshot(),
				stderr.snapshot(), terminated, usage);
	}

	private String memoryError(Integer signal, int exit) {
		Long memory = cgroup.memoryLimit();
		String limit = (memory != null) ? " of " + ResourceLimits.describeMemory(memory) : "";
		return "killed by the kernel for exceeding its memory limit" + limit + " (" + ((signal != null)
				? "the leader ended by " + signalName(signal) : "the leader exited with code " + exit) + ")";
	}

	/**
	 * Whether anything of the job lives: a process in its cgroup, or without one, a live
	 * member of its process group.
	 */
	private boolean groupAlive() {
		if (cgroup == null) {
			return groupHasLiveMembers();
		}
		if (cgroup.populated()) {
			return true;
		}
		// The process group decides too, so that a member that left the cgroup (a
		// process running as root can move itself) still ends with the job. Added for a
		// job seen alive without SIGKILL, whose cause proved to be another (JobCgroup
		// members listed as 0); kept as the group's own check.
		boolean inGroup = groupHasLiveMembers();
		if (inGroup && !cgroupDisagreed) {
			cgroupDisagreed = true;
			log.warn(
					"Job {}: its cgroup reads as empty (members {}) while its process group {} lives on ({}); "
							+ "ending the group too",
					spec.jobId(), cgroup.members(), pid, ProcessTable.liveMembers(pid));
		}
		return inGroup;
	}

	private boolean groupHasLiveMembers() {
		return ProcessControl.signalGroup(pid, 0) && !ProcessTable.liveMembers(pid).isEmpty();
	}

	/** Whether {@link #groupAlive} has found the cgroup empty and the group alive. */
	private volatile boolean cgroupDisagreed;

	static String signalName(int signal) {
		return SIGNAL_NAMES.getOrDefault(signal, "signal " + signal);
	}

}
