package dev.jobexec.reaper;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import lombok.extern.slf4j.Slf4j;

/**
 * One pass over {@code /proc}, and what passes remember between them: reaps zombie
 * children that are not a job's leader (its watcher reaps that one) and that no
 * {@link Process} owns, and takes orphans of ended jobs down the ladder (SIGTERM, then
 * SIGKILL after the kill-grace).
 */
@Slf4j
final class ReaperScan {

	private final JobProcesses processes;

	private final Duration killGrace;

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

	private volatile Instant lastScan;

	ReaperScan(JobProcesses processes, Duration killGrace) {
		this.processes = processes;
		this.killGrace = killGrace;
	}

	/**
	 * One pass: reap zombies seen twice, terminate orphans of ended jobs (all marked
	 * orphans when {@code everything}), and SIGKILL orphans that outlived the kill-grace.
	 * Returns whether anything of this service is still left to wait for.
	 */
	boolean scan(boolean everything) {
		long started = System.nanoTime();
		List<ProcessTable.Entry> all = ProcessTable.all();
		boolean pending;
		synchronized (terminating) {
			Set<Long> zombiesNow = new HashSet<>();
			Map<Long, ProcessTable.Entry> byPid = new HashMap<>();
			for (ProcessTable.Entry entry : all) {
				byPid.put(entry.pid(), entry);
				if (entry.ppid() != ProcessTable.SELF || processes.isLeader(entry.pid())) {
					continue;
				}
				if (entry.isZombie()) {
					if (zombiesSeen.contains(entry.pid()) && ProcessControl.reapZombie(entry.pid())) {
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

	long zombiesReaped() {
		return zombiesReaped.get();
	}

	long orphansKilled() {
		return orphansKilled.get();
	}

	long scans() {
		return scans.get();
	}

	double scanSeconds() {
		return scanNanos.get() / 1e9;
	}

	Instant lastScan() {
		return lastScan;
	}

	/** Orphans sent SIGTERM that are still alive. */
	int orphansTerminating() {
		synchronized (terminating) {
			return terminating.size();
		}
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
		ProcessControl.signalLeaderAndGroup(orphan, ProcessControl.SIGTERM);
		orphansKilled.incrementAndGet();
		terminating.put(orphan.pid(), new Terminating(orphan.startTicks(), System.nanoTime() + killGrace.toNanos()));
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
						current.command(), killGrace);
				ProcessControl.signalLeaderAndGroup(current, ProcessControl.SIGKILL);
			}
		}
		return !terminating.isEmpty();
	}

	private record Terminating(long startTicks, long killAt) {
	}

}
