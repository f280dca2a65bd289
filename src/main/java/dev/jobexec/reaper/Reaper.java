package dev.jobexec.reaper;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import lombok.extern.slf4j.Slf4j;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Keeps the service's process tree clean. At start it makes the service a child
 * subreaper, so that the orphaned descendants of jobs are re-parented to it (also when it
 * is PID 1), and starts the crash guard. Every {@code jobexec.reaper.interval} its thread
 * runs a {@link ReaperScan}. At shutdown, once the pools are drained, it clears whatever
 * is left before the service exits.
 */
@Slf4j
@Component
@EnableConfigurationProperties(ReaperProperties.class)
public class Reaper implements InitializingBean, SmartLifecycle {

	private static final long SHUTDOWN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	private final ReaperProperties properties;

	private final JobProcesses processes;

	private final ReaperScan scan;

	private volatile boolean subreaper;

	private volatile String subreaperProblem;

	private volatile boolean running;

	private volatile CrashGuard guard;

	private Thread thread;

	public Reaper(ReaperProperties properties, JobProcesses processes) {
		this.properties = properties;
		this.processes = processes;
		this.scan = new ReaperScan(processes, properties.killGrace());
	}

	@Override
	public void afterPropertiesSet() {
		try {
			ProcessControl.becomeChildSubreaper();
			subreaper = true;
			log.info("jobexec (pid {}) is a child subreaper: orphaned job processes are re-parented to it",
					ProcessTable.SELF);
		}
		catch (RuntimeException | LinkageError ex) {
			subreaperProblem = ex.getMessage();
			log.warn("Could not become a child subreaper ({}); orphans of jobs will be re-parented to init and "
					+ "are not contained", ex.getMessage());
		}
		if (!ProcessTable.available()) {
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
		if (!ProcessTable.available()) {
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

	/**
	 * Cluster mode: the node's lease is held for {@code heldFor} more; the crash guard
	 * kills the job processes if it is not renewed by then.
	 */
	public void leaseHeldFor(Duration heldFor) {
		CrashGuard current = guard;
		if (current != null) {
			current.feed(heldFor);
		}
	}

	public ReaperSnapshot snapshot() {
		return new ReaperSnapshot(subreaper, subreaperProblem, guard != null && guard.isAlive(), properties.interval(),
				scan.lastScan(), scan.scans(), scan.zombiesReaped(), scan.orphansKilled(), liveProcesses(),
				scan.orphansTerminating());
	}

	public long zombiesReaped() {
		return scan.zombiesReaped();
	}

	public long orphansKilled() {
		return scan.orphansKilled();
	}

	public long scans() {
		return scan.scans();
	}

	public double scanSeconds() {
		return scan.scanSeconds();
	}

	/**
	 * Live processes below the service (jobs and everything they started), the crash
	 * guard aside.
	 */
	public int liveProcesses() {
		return ProcessTable.available() ? ProcessTable.liveDescendants(ProcessTable.SELF, processes.guardian()) : 0;
	}

	private void loop() {
		long interval = properties.interval().toNanos();
		while (running) {
			try {
				scan.scan(false);
			}
			catch (RuntimeException ex) {
				log.warn("Reaper scan failed", ex);
			}
			LockSupport.parkNanos(interval);
		}
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
				pending = scan.scan(true);
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

}
