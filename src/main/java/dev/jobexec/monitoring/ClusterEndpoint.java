package dev.jobexec.monitoring;

import java.util.List;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeCounters;
import dev.jobexec.cluster.NodeRegistry;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/cluster}: whether the service is a node of a cluster (PostgreSQL
 * store), this node, whether it holds its lease, what its membership has done, and every
 * node of the cluster.
 */
@Component
@Endpoint(id = "cluster")
class ClusterEndpoint {

	private final NodeRegistry registry;

	ClusterEndpoint(NodeRegistry registry) {
		this.registry = registry;
	}

	@ReadOperation
	ClusterView cluster() {
		NodeCounters counters = registry.counters();
		return new ClusterView(registry.enabled(), registry.nodeId(), registry.holdsLease(),
				new Counters(counters.renewals(), counters.renewalFailures(), counters.fences(), counters.rejoins(),
						counters.nodesSettled(), counters.jobsLost(), counters.jobsRequeued(), counters.notifications(),
						counters.polls()),
				registry.nodes());
	}

	/** This node and the cluster as it sees it. */
	record ClusterView(boolean clustered, String self, boolean leaseHeld, Counters counters, List<Node> nodes) {
	}

	/** What this node's membership has done since it started. */
	record Counters(long leaseRenewals, long leaseFailures, long fences, long rejoins, long nodesSettled, long jobsLost,
			long jobsRequeued, long notificationWakeups, long polls) {
	}

}
