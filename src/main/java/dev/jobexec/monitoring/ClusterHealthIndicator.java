package dev.jobexec.monitoring;

import java.util.Map;
import java.util.TreeMap;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeCounters;
import dev.jobexec.cluster.NodeRegistry;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code cluster} health component: on a node of a cluster (PostgreSQL store) up
 * while the node holds its lease, down while it is fenced, with the node's id and the
 * nodes of the cluster by state; always up on the embedded store.
 */
@Component
class ClusterHealthIndicator extends AbstractHealthIndicator {

	private final NodeRegistry registry;

	ClusterHealthIndicator(NodeRegistry registry) {
		super("Cluster health check failed");
		this.registry = registry;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		if (!registry.enabled()) {
			builder.up().withDetail("mode", "single node: the embedded store is not shared");
			return;
		}
		Map<String, Long> byState = new TreeMap<>();
		for (Node node : registry.lastSeen()) {
			byState.merge(node.state(), 1L, Long::sum);
		}
		NodeCounters counters = registry.counters();
		builder.withDetail("node", registry.nodeId())
			.withDetail("leaseHeld", registry.holdsLease())
			.withDetail("nodes", byState)
			.withDetail("leaseRenewals", counters.renewals())
			.withDetail("leaseFailures", counters.renewalFailures())
			.withDetail("fences", counters.fences());
		if (registry.holdsLease()) {
			builder.up();
		}
		else {
			builder.down()
				.withDetail("problem",
						"this node does not hold its lease: it claims nothing and its " + "running jobs were ended");
		}
	}

}
