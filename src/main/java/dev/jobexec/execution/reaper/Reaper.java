package dev.jobexec.execution.reaper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import lombok.extern.slf4j.Slf4j;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Keeps the service's process tree clean. At start it makes the service a child
 * subreaper, so that the orphaned descendants of jobs are re-parented to it (also when it
 * is PID 1), and starts the crash guard. Every {@code jobexec.reaper.interval} it reaps
 * zombie children that are not a job's leader (its watcher reaps that one) and that no
 * {@link Process} owns, and terminates, with the ladder, orphans whose job has ended. At
 * shutdown, once the pools are drained, it clears whatever is left before the service
 * exits.
 */
@Slf4j
@Component
@EnableConfigurationProperties(ReaperProperties.class)
public class Reaper implements InitializingBean, SmartLifecycle {

	private static final long SHUTDOWN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	private final ReaperProperties properties;

	private final JobProcesses processes;

	private final long self = ProcessHandle.current().pid();

	private final AtomicLong zombiesReaped = new AtomicLong();

	private final AtomicLong orphansKilled = new AtomicLong();

	private final AtomicLong scans = new AtomicLong();

	private final AtomicLong scanNanos = new AtomicLong();

	/** Orphans sent SIGTERM, by pid, until they are gone; guarded by itself. */
	private final Map<Long, Terminating> terminating = new HashMap<>();

	/**
	 * Zombies seen in the previous scan; a {@link Process}'s own child never lives that
	 * long.
	 */
	private Set<Long> zombiesSeen = Set.of();

	private volatile boolean subreaper;

	private volatile String subreaperProblem;

	private volatile Instant lastScan;

	private volatile boolean running;

	private CrashGuard guard;

	private Thread thread;

	public Reaper(ReaperProperties properties, JobProcesses processes) {
		this.properties = properties;
		this.processes = processes;
	}

	@Override
	public void afterPropertiesSet() {
		try {
			NativeProcesses.becomeChildSubreaper();
			subreaper = true;
			log.info("jobexec (pid {}) is a child subreaper: orphaned job processes are re-parented to it", self);
		}
		catch (RuntimeException | LinkageError ex) {
			subreaperProblem = ex.getMessage();
			log.warn("Could not become a child subreaper ({}); orphans of jobs will be re-parented to init and "
					+ "are not contained", ex.getMessage());
		}
		if (!Files.isDirectory(Path.of("/proc/self"))) {
			subreaperProblem = "no /proc: the reaper cannot see processes";
			log.warn("No /proc on this machine: zombies and orphans of jobs are not reaped");
			return;
		}
		guard = new CrashGuard(processes.instance());
		try {
			processes.guardian(guard.start());
		}
		catch (IOException ex) {
			guard = null;
			log.warn("Could not start the crash guard ({}); job processes may outlive a crash of the service",
					ex.getMessage());
		}
	}

	@Override
	public void start() {
		if (!Files.isDirectory(Path.of("/proc/self"))) {
			return;
		}
		running = true;
		thread = Thread.ofPlatform().name("jobexec-reaper").daemon(true).start(this::loop);
	}

	@Override
	public void stop() {
		running = false;
		if (thread != null) {
			thread.interrupt();
			try {
				thread.join(Duration.ofSeconds(5));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			clearBeforeExit();
		}
		if (guard != null) {
			guard.stop();
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public boolean isPauseable() {
		// Its stop clears every process of this instance; pausing a context must not do
		// that.
		return false;
	}

	@Override
	public int getPhase() {
		// Stops right after the pools have drained (ExecutionShutdown,
		// Integer.MAX_VALUE).
		return Integer.MAX_VALUE - 1;
	}

	public ReaperSnapshot snapshot() {
		int pending;
		synchronized (terminating) {
			pending = terminating.size();
		}
		return new ReaperSnapshot(subreaper, subreaperProblem, guard != null && guard.isAlive(), properties.interval(),
				lastScan, scans.get(), zombiesReaped.get(), orphansKilled.get(), liveProcesses(), pending);
	}

	public long zombiesReaped() {
		return zombiesReaped.get();
	}

	public long orphansKilled() {
		return orphansKilled.get();
	}

	public long scans() {
		return scans.get();
	}

	public double scanSeconds() {
		return scanNanos.get() / 1e9;
	}

	/**
	 * Live processes below the service (jobs and everything they started), the crash
	 * guard aside.
	 */
	public int liveProcesses() {
		if (!Files.isDirectory(Path.of("/proc/self"))) {
			return 0;
		}
		Map<Long, List<Long>> children = new HashMap<>();
		for (ProcessTable.Entry entry : ProcessTable.all()) {
			if (!entry.isZombie()) {
				children.computeIfAbsent(entry.ppid(), (ppid) -> new java.util.ArrayList<>()).add(entry.pid());
			}
		}
		int live = 0;
		ArrayDeque<Long> pending = new ArrayDeque<>(children.getOrDefault(self, List.of()));
		while (!pending.isEmpty()) {
			long pid = pending.poll();
			if (pid != processes.guardian()) {
				live++;
				pending.addAll(children.getOrDefault(pid, List.of()));
			}
		}
		return live;
	}

	/**
	 * Kills what an earlier run of the service left behind: the job leader {@code pid},
	 * if the process with that pid is still the one that started at {@code startTicks}
	 * (so a reused pid is never touched), with its group, and every process that carries
	 * the earlier run's {@code instance} marker. Returns how many processes were
	 * signalled.
	 */
	public int killLeftovers(String instance, Long pid, Long startTicks) {
		int killed = 0;
		if (pid != null && startTicks != null) {
			ProcessTable.Entry leader = ProcessTable.read(pid).orElse(null);
			if (leader != null && leader.startTicks() == startTicks && !leader.isZombie()) {
				signal(leader, NativeProcesses.SIGKILL);
				killed++;
			}
		}
		if (instance != null && !instance.equals(processes.instance())) {
			for (ProcessTable.Entry entry : ProcessTable.all()) {
				if (!entry.isZombie() && entry.pid() != self && instance.equals(
						ProcessTable.environmentVariable(entry.pid(), JobProcesses.INSTANCE_VARIABLE).orElse(null))) {
					signal(entry, NativeProcesses.SIGKILL);
					killed++;
				}
			}
		}
		if (killed > 0) {
			log.warn("Killed {} process(es) left by an earlier run (instance {})", killed, instance);
		}
		return killed;
	}

	private void loop() {
		long interval = properties.interval().toNanos();
		while (running) {
			try {
				scan(false);
			}
			catch (RuntimeException ex) {
				log.warn("Reaper scan failed", ex);
			}
			LockSupport.parkNanos(interval);
		}
	}

	/**
	 * One pass: reap zombies seen twice, terminate orphans of ended jobs (all marked
	 * orphans when {@code everything}), and SIGKILL orphans that outlived the kill-grace.
	 * Returns whether anything of this service is still left to wait for.
	 */
	boolean scan(boolean everything) {
		long started = System.nanoTime();
		List<ProcessTable.Entry> all = ProcessTable.all();
		boolean pending = false;
		synchronized (terminating) {
			Set<Long> zombiesNow = new HashSet<>();
			Map<Long, ProcessTable.Entry> byPid = new HashMap<>();
			for (ProcessTable.Entry entry : all) {
				byPid.put(entry.pid(), entry);
				if (entry.ppid() != self || processes.isLeader(entry.pid())) {
					continue;
				}
				if (entry.isZombie()) {
					if (zombiesSeen.contains(entry.pid()) && NativeProcesses.reapZombie(entry.pid())) {
						zombiesReaped.incrementAndGet();
					}
					else {
						zombiesNow.add(entry.pid());
					}
				}
				else if (!terminating.containsKey(entry.pid()) && isOrphanOfEndedJob(entry, everything)) {
					terminate(entry);
				}
			}
			zombiesSeen = zombiesNow;
			pending = escalate(byPid) || !zombiesNow.isEmpty();
		}
		lastScan = Instant.now();
		scans.incrementAndGet();
		scanNanos.addAndGet(System.nanoTime() - started);
		return pending;
	}

	private boolean isOrphanOfEndedJob(ProcessTable.Entry entry, boolean everything) {
		String instance = ProcessTable.environmentVariable(entry.pid(), JobProcesses.INSTANCE_VARIABLE).orElse(null);
		if (!processes.instance().equals(instance)) {
			// Not started by a job of this service (or it cleared its environment): not
			// ours to kill.
			return false;
		}
		String jobId = ProcessTable.environmentVariable(entry.pid(), JobProcesses.JOB_VARIABLE).orElse(null);
		return everything || jobId == null || !processes.isRunning(jobId);
	}

	private void terminate(ProcessTable.Entry orphan) {
		log.info("Terminating orphan {} ({}) whose job has ended", orphan.pid(), orphan.command());
		signal(orphan, NativeProcesses.SIGTERM);
		orphansKilled.incrementAndGet();
		terminating.put(orphan.pid(),
				new Terminating(orphan.startTicks(), System.nanoTime() + properties.killGrace().toNanos()));
	}

	private boolean escalate(Map<Long, ProcessTable.Entry> byPid) {
		long now = System.nanoTime();
		for (Iterator<Map.Entry<Long, Terminating>> it = terminating.entrySet().iterator(); it.hasNext();) {
			Map.Entry<Long, Terminating> entry = it.next();
			ProcessTable.Entry current = byPid.get(entry.getKey());
			if (current == null || current.isZombie() || current.startTicks() != entry.getValue().startTicks()) {
				it.remove();
			}
			else if (now >= entry.getValue().killAt()) {
				log.info("Orphan {} ({}) outlived its kill-grace of {}; sending SIGKILL", current.pid(),
						current.command(), properties.killGrace());
				signal(current, NativeProcesses.SIGKILL);
			}
		}
		return !terminating.isEmpty();
	}

	private static void signal(ProcessTable.Entry process, int signal) {
		if (process.pgid() == process.pid()) {
			NativeProcesses.signalGroup(process.pgid(), signal);
		}
		NativeProcesses.signalProcess(process.pid(), signal);
	}

	/**
	 * At shutdown, after the pools: terminate whatever of this service's jobs remains and
	 * reap it all.
	 */
	private void clearBeforeExit() {
		long deadline = System.nanoTime() + properties.killGrace().plusSeconds(2).toNanos();
		while (true) {
			boolean pending;
			try {
				pending = scan(true);
			}
			catch (RuntimeException ex) {
				log.warn("Final reaper scan failed", ex);
				return;
			}
			if (!pending) {
				return;
			}
			if (System.nanoTime() >= deadline) {
				log.warn("Processes of ended jobs were still present when the service exited");
				return;
			}
			LockSupport.parkNanos(SHUTDOWN_POLL_NANOS);
		}
	}

	private record Terminating(long startTicks, long killAt) {
	}

}
