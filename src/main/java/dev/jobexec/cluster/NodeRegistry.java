package dev.jobexec.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.ClaimTrigger;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobEvent;
import dev.jobexec.job.JobService;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.NodeLease;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.reaper.Leftovers;
import dev.jobexec.reaper.Reaper;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;

/**
 * This node's membership of the cluster: it registers the node, renews its lease every
 * heartbeat (feeding the crash guard the time the lease is held for), settles nodes that
 * died, passes on cancel requests and polls for queued jobs; when the lease is lost it
 * fences the node's jobs and, once they have ended, joins again; at a graceful stop it
 * leaves, handing what it had claimed back to the queue.
 */
@Slf4j
public class NodeRegistry implements SmartLifecycle {

	/** How long dead nodes stay listed. */
	private static final Duration KEEP_DEAD = Duration.ofHours(1);

	/** Every how many heartbeats the jobs of dead nodes are swept even if none died. */
	private static final int SWEEP_EVERY = 10;

	private final ClusterProperties properties;

	private final NodeTable table;

	private final JobStore store;

	private final JobService jobs;

	private final NodeLease lease;

	private final Reaper reaper;

	private final Leftovers leftovers;

	private final PoolRouter router;

	private final ApplicationEventPublisher events;

	private final HostIdentity host = HostIdentity.current();

	private final NodeCounters counters = new NodeCounters();

	private volatile String url;

	private final boolean enabled;

	private volatile boolean running;

	private volatile boolean fenced;

	private volatile List<Node> lastSeen = List.of();

	private volatile Map<String, Long> waiting = Map.of();

	private Thread heartbeat;

	private Thread watch;

	private long beats;

	NodeRegistry(ClusterProperties properties, NodeTable table, JobStore store, JobService jobs, NodeLease lease,
			Reaper reaper, Leftovers leftovers, PoolRouter router, ApplicationEventPublisher events, String url,
			boolean enabled) {
		this.properties = properties;
		this.table = table;
		this.store = store;
		this.jobs = jobs;
		this.lease = lease;
		this.reaper = reaper;
		this.leftovers = leftovers;
		this.router = router;
		this.events = events;
		this.url = url;
		this.enabled = enabled;
	}

	/** Whether this service is a node of a cluster (a PostgreSQL store). */
	public boolean enabled() {
		return enabled;
	}

	public String nodeId() {
		return lease.nodeId();
	}

	public boolean holdsLease() {
		return lease.isHeld();
	}

	public NodeCounters counters() {
		return counters;
	}

	/** Every node the registry holds, as of now. */
	public List<Node> nodes() {
		if (!enabled) {
			return List.of();
		}
		try {
			lastSeen = table.list();
		}
		catch (DataAccessException ex) {
			log.debug("Could not read the node registry: {}", ex.getMessage());
		}
		return lastSeen;
	}

	/** The nodes as the last heartbeat (or {@link #nodes()}) saw them. */
	public List<Node> lastSeen() {
		return lastSeen;
	}

	/** The web server listens: the advertised URL can name its port now. */
	void listening(String url) {
		this.url = url;
	}

	@Override
	public void start() {
		if (!enabled) {
			running = true;
			return;
		}
		long began = System.nanoTime();
		long startTicks = ProcessTable.read(ProcessTable.SELF).map(ProcessTable.Entry::startTicks).orElse(0L);
		table.register(lease.nodeId(), host, ProcessTable.SELF, startTicks, url, pools(), properties.lease());
		renewed(began);
		log.info("Node {} joined the cluster on {} ({}): lease {}, heartbeat every {}", lease.nodeId(), host.host(),
				url, properties.lease(), properties.heartbeatInterval());
		settleDeadNodes(true);
		running = true;
		heartbeat = Thread.ofPlatform().name("jobexec-heartbeat").daemon(true).start(this::beatEvery);
		watch = Thread.ofPlatform().name("jobexec-lease-watch").daemon(true).start(this::watchLease);
	}

	/** The service is shutting down: other nodes see this one draining. */
	void draining() {
		if (!enabled) {
			return;
		}
		try {
			table.markDraining(lease.nodeId());
		}
		catch (DataAccessException ex) {
			log.warn("Could not mark this node draining: {}", ex.getMessage());
		}
	}

	/**
	 * Runs last: the jobs have drained and their states are written. Leaves the registry,
	 * so that nobody waits out the lease, and hands the jobs it had claimed but not
	 * started back to the queue.
	 */
	@Override
	public void stop() {
		running = false;
		if (!enabled) {
			return;
		}
		for (Thread thread : new Thread[] { heartbeat, watch }) {
			if (thread != null) {
				thread.interrupt();
				try {
					thread.join(Duration.ofSeconds(5));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		}
		try {
			table.leave(lease.nodeId());
			lease.lost();
			settleJobs();
			log.info("Node {} left the cluster", lease.nodeId());
		}
		catch (DataAccessException | dev.jobexec.job.StoreUnavailableException ex) {
			log.warn("Could not leave the cluster ({}): the other nodes settle this node once its lease expires",
					ex.getMessage());
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public boolean isPauseable() {
		return false;
	}

	@Override
	public int getPhase() {
		// Starts before recovery and the web server; stops last, after the drain, so that
		// the lease is held while jobs drain.
		return -100;
	}

	private void beatEvery() {
		long interval = properties.heartbeatInterval().toNanos();
		while (running) {
			LockSupport.parkNanos(interval);
			if (!running) {
				return;
			}
			try {
				beat();
			}
			catch (RuntimeException ex) {
				log.warn("Heartbeat failed", ex);
			}
		}
	}

	private void beat() {
		long began = System.nanoTime();
		boolean renewed;
		try {
			renewed = table.renew(lease.nodeId(), pools(), url, properties.lease());
		}
		catch (DataAccessException ex) {
			counters.renewalFailed();
			log.warn("Could not renew the lease of node {}: {}", lease.nodeId(),
					ex.getMostSpecificCause().getMessage());
			return;
		}
		if (!renewed) {
			counters.renewalFailed();
			leaseExpired();
			return;
		}
		renewed(began);
		if (fenced) {
			fenced = false;
			log.warn("Node {} holds its lease again", lease.nodeId());
		}
		jobs.retryUnrecorded();
		jobs.reconcile();
		settleDeadNodes(++beats % SWEEP_EVERY == 0);
		jobs.cancelRequested(store.cancelRequested(lease.nodeId()));
		counters.polled();
		jobs.claimAll(ClaimTrigger.POLL);
		if (beats % 100 == 0) {
			table.forgetDead(KEEP_DEAD);
		}
		lastSeen = table.list();
		waiting = table.waitingByPool();
	}

	/**
	 * Jobs of {@code pool} waiting unclaimed in the cluster's queue, as of the last
	 * heartbeat.
	 */
	public long waiting(String pool) {
		return waiting.getOrDefault(pool, 0L);
	}

	private void renewed(long began) {
		Duration held = properties.lease().minus(properties.fenceMargin());
		lease.renewed(began + held.toNanos());
		counters.renewed();
		reaper.leaseHeldFor(held.minusNanos(System.nanoTime() - began));
	}

	/**
	 * The database let the lease expire: the cluster may be settling this node's jobs
	 * already. Fence them, settle this node if nobody has, and join again once nothing of
	 * the old lease runs here.
	 */
	private void leaseExpired() {
		fence("its lease expired in the database", true);
		if (table.settle(lease.nodeId(), lease.nodeId())) {
			counters.settledNode();
		}
		settleJobs();
		// The database refuses every write of the old lease now, and the cluster has
		// settled its jobs: what could not be written is given up.
		jobs.dropUnrecorded();
		if (jobs.held().isEmpty()) {
			long began = System.nanoTime();
			if (table.rejoin(lease.nodeId(), properties.lease())) {
				renewed(began);
				fenced = false;
				counters.rejoined();
				log.warn("Node {} joined the cluster again after losing its lease", lease.nodeId());
			}
		}
	}

	/**
	 * Checks the lease between heartbeats, so that a stuck heartbeat cannot delay a
	 * fence.
	 */
	private void watchLease() {
		while (running) {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
			if (running && !lease.isHeld() && !fenced) {
				fence("it could not renew its lease in time", false);
			}
		}
	}

	private synchronized void fence(String why, boolean expired) {
		// Checked again here, unless the database said the lease expired: a renewal may
		// have landed since the watch looked.
		if (!fenced && (expired || !lease.isHeld())) {
			fenced = true;
			lease.lost();
			counters.fenced();
			log.error("Node {} no longer holds its lease ({}): it stops claiming and its running jobs are ended",
					lease.nodeId(), why);
			jobs.fence();
		}
	}

	/**
	 * Declares dead the nodes whose lease expired, and at once any node on this host
	 * whose JVM no longer runs (a crash, a restart); then settles their jobs.
	 */
	private void settleDeadNodes(boolean sweep) {
		List<String> dead = new ArrayList<>(table.settleExpired(lease.nodeId()));
		// Without /proc a node cannot tell whether another on its host is alive.
		List<NodeTable.Local> onHost = ProcessTable.available() ? table.liveOnHost(host, lease.nodeId()) : List.of();
		for (NodeTable.Local other : onHost) {
			boolean alive = ProcessTable.read(other.pid())
				.filter((entry) -> entry.startTicks() == other.pidStartTicks() && !entry.isZombie())
				.isPresent();
			if (!alive && table.settle(other.id(), lease.nodeId())) {
				dead.add(other.id());
			}
		}
		for (String id : dead) {
			counters.settledNode();
			log.warn("Node {} is dead (no lease, or its JVM on this host is gone): settling its jobs", id);
		}
		if (!dead.isEmpty() || sweep) {
			settleJobs();
		}
	}

	private void settleJobs() {
		JobStore.Settled settled = store.settleJobsOfDeadNodes(Instant.now());
		if (settled.isEmpty()) {
			return;
		}
		List<String> deadHere = table.deadOnHost(host);
		for (Job job : settled.lost()) {
			Job.Persisted lost = job.persisted();
			if (deadHere.contains(lost.instance())) {
				leftovers.kill(lost.instance(), lost.pid(), lost.pidStartTicks());
			}
			counters.settledJob(true);
			events.publishEvent(new JobEvent.Finished(job.pool(), JobState.LOST, Duration.ZERO));
		}
		for (JobStore.Retried retried : settled.retried()) {
			// Lost, but waiting for its next attempt (its retry policy names LOST).
			Job.Persisted running = retried.running();
			if (deadHere.contains(running.instance())) {
				leftovers.kill(running.instance(), running.pid(), running.pidStartTicks());
			}
			counters.settledJob(false);
			events.publishEvent(
					new JobEvent.Retried(running.pool(), JobState.LOST, TerminationReason.SERVICE_LOST, null));
			jobs.nextAttemptDue(running.pool(), retried.nextAttemptAt());
		}
		settled.requeuedPools().forEach((pool) -> counters.settledJob(false));
		settled.requeuedPools().stream().distinct().forEach((pool) -> jobs.queued(pool, ClaimTrigger.POLL));
		log.warn("Settled the jobs of dead nodes: {} lost while running, {} waiting for their next attempt, {} queued "
				+ "again", settled.lost().size(), settled.retried().size(), settled.requeuedPools().size());
	}

	private List<Node.Pool> pools() {
		return router.snapshots().stream().map(Node.Pool::of).toList();
	}

}
