package dev.jobexec.api;

import java.util.Optional;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeRegistry;
import dev.jobexec.job.Job;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Where a process job's output files are: on the node that ran the attempt whose output
 * the job has ({@link Job#outputAttempt}). In a cluster, a node that does not have them
 * sends the client there ({@code /output}, {@code /stdout}, {@code /stderr}) while that
 * node is live.
 */
@Component
class OutputLocation {

	private final NodeRegistry registry;

	OutputLocation(ObjectProvider<NodeRegistry> registry) {
		this.registry = registry.getIfAvailable();
	}

	/** Cluster mode: whether {@code node} is another node than this one. */
	boolean isOtherNode(String node) {
		return registry != null && registry.enabled() && node != null && !node.equals(registry.nodeId());
	}

	/**
	 * Cluster mode: the advertised URL of the live node that holds the job's output
	 * files, when that is another node.
	 */
	Optional<String> otherNode(Job job) {
		String node = job.outputNode();
		if (!isOtherNode(node)) {
			return Optional.empty();
		}
		return registry.nodes()
			.stream()
			.filter((candidate) -> candidate.id().equals(node) && candidate.state().equals("ACTIVE"))
			.map(Node::url)
			.findFirst();
	}

}
