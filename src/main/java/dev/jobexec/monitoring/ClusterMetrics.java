package dev.jobexec.monitoring;

import java.util.List;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeCounters;
import dev.jobexec.cluster.NodeRegistry;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.job.ClaimTrigger;
import dev.jobexec.job.JobEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The {@code jobexec.cluster.*} meters of a node of a cluster (none on the embedded
 * store): nodes by state, lease renewals and their failures, fences, dead nodes and their
 * jobs settled by this node, claims by what triggered them, and dropped writes.
 */
@Component
class ClusterMetrics implements MeterBinder {

	private static final List<String> NODE_STATES = List.of("ACTIVE", "DRAINING", "DEAD");

	private final NodeRegistry registry;

	private final PoolRouter router;

	private volatile MeterRegistry meters = new CompositeMeterRegistry();

	ClusterMetrics(ObjectProvider<NodeRegistry> registry, PoolRouter router) {
		this.registry = registry.getIfAvailable();
		this.router = router;
	}

	@Override
	public void bindTo(MeterRegistry meters) {
		if (registry == null || !registry.enabled()) {
			return;
		}
		this.meters = meters;
		for (String state : NODE_STATES) {
			Gauge.builder("jobexec.cluster.nodes", registry, (nodes) -> count(nodes.lastSeen(), state))
				.tag("state", state)
				.description("Nodes in the registry by state, as this node last read it")
				.register(meters);
		}
		Gauge.builder("jobexec.cluster.lease.held", registry, (nodes) -> nodes.holdsLease() ? 1 : 0)
			.description("1 while this node holds its lease, 0 while it is fenced")
			.register(meters);
		NodeCounters counters = registry.counters();
		counter(meters, "jobexec.cluster.lease.renewals", counters, NodeCounters::renewals, "Lease renewals");
		counter(meters, "jobexec.cluster.lease.failures", counters, NodeCounters::renewalFailures,
				"Lease renewals that failed (database unreachable, or the lease had expired)");
		counter(meters, "jobexec.cluster.fences", counters, NodeCounters::fences,
				"Times this node lost its lease and ended its running jobs");
		counter(meters, "jobexec.cluster.nodes.settled", counters, NodeCounters::nodesSettled,
				"Dead nodes this node declared dead and settled");
		String settled = "Jobs of dead nodes this node settled: lost while running, or queued again";
		counter(meters, "jobexec.cluster.jobs.settled", counters, NodeCounters::jobsLost, settled, "outcome", "lost");
		counter(meters, "jobexec.cluster.jobs.settled", counters, NodeCounters::jobsRequeued, settled, "outcome",
				"requeued");
		String wakeups = "Wake-ups to claim queued jobs: by a notification from another node, or by the poll";
		counter(meters, "jobexec.cluster.wakeups", counters, NodeCounters::notifications, wakeups, "source",
				"notification");
		counter(meters, "jobexec.cluster.wakeups", counters, NodeCounters::polls, wakeups, "source", "poll");
		for (String pool : router.names()) {
			Gauge.builder("jobexec.cluster.queued", registry, (nodes) -> nodes.waiting(pool))
				.tag("pool", pool)
				.description("Jobs of the pool waiting unclaimed in the cluster's queue, as of the last heartbeat "
						+ "(jobexec.pool.queued counts only this node's own queue)")
				.register(meters);
			fenced(pool);
			for (ClaimTrigger trigger : ClaimTrigger.values()) {
				claims(pool, trigger);
				claimed(pool, trigger);
			}
		}
	}

	@EventListener
	void on(JobEvent event) {
		if (registry == null || !registry.enabled()) {
			return;
		}
		if (event instanceof JobEvent.Claimed claimed) {
			claims(claimed.pool(), claimed.trigger()).record(claimed.took());
			claimed(claimed.pool(), claimed.trigger()).increment(claimed.jobs());
		}
		else if (event instanceof JobEvent.Fenced fenced) {
			fenced(fenced.pool()).increment();
		}
	}

	private static double count(List<Node> nodes, String state) {
		return nodes.stream().filter((node) -> node.state().equals(state)).count();
	}

	private static void counter(MeterRegistry meters, String name, NodeCounters counters,
			java.util.function.ToDoubleFunction<NodeCounters> value, String description, String... tags) {
		FunctionCounter.builder(name, counters, value).tags(tags).description(description).register(meters);
	}

	private Timer claims(String pool, ClaimTrigger trigger) {
		return Timer.builder("jobexec.cluster.claims")
			.tags("pool", pool, "trigger", trigger.tag())
			.description("Claim statements this node ran, by what woke it")
			.register(meters);
	}

	private Counter claimed(String pool, ClaimTrigger trigger) {
		return Counter.builder("jobexec.cluster.jobs.claimed")
			.tags("pool", pool, "trigger", trigger.tag())
			.description("Queued jobs this node claimed, by what woke it")
			.register(meters);
	}

	private Counter fenced(String pool) {
		return Counter.builder("jobexec.cluster.jobs.fenced")
			.tag("pool", pool)
			.description("State changes dropped because this node no longer held the job or its lease")
			.register(meters);
	}

}
