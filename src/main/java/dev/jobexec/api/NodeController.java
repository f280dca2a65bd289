package dev.jobexec.api;

import java.time.Instant;
import java.util.List;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeRegistry;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.reaper.JobProcesses;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The nodes of the cluster: every service on the same PostgreSQL store. On the embedded
 * store the service is the only node.
 */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Pools and tasks", description = "Live pools and the tasks thread jobs can run")
class NodeController {

	private final NodeRegistry registry;

	private final PoolRouter router;

	private final JobProcesses processes;

	private final Instant started = Instant.now();

	NodeController(ObjectProvider<NodeRegistry> registry, PoolRouter router, JobProcesses processes) {
		this.registry = registry.getIfAvailable();
		this.router = router;
		this.processes = processes;
	}

	@GetMapping("/nodes")
	@Operation(operationId = "listNodes", summary = "List nodes",
			description = "Every node of the cluster, oldest first: where it runs, its state (`ACTIVE`, `DRAINING`, "
					+ "`DEAD`; by the database's clock), its lease, and the pools it serves with their figures at "
					+ "its last renewal. Dead nodes are listed for an hour after they were settled.")
	List<NodeView> nodes() {
		if (registry == null || !registry.enabled()) {
			List<Node.Pool> pools = router.snapshots().stream().map(Node.Pool::of).toList();
			return List
				.of(new NodeView(processes.instance(), null, null, "ACTIVE", started, null, null, null, pools, true));
		}
		return registry.nodes().stream().map((node) -> NodeView.of(node, registry.nodeId())).toList();
	}

	/** A node, and whether it is the one that answered. */
	@Schema(description = "A node of the cluster")
	record NodeView(@Schema(description = "The node's id, also the JOBEXEC_INSTANCE of its job processes") String id,
			String host, @Schema(description = "Where other nodes and clients reach it") String url,
			@Schema(allowableValues = {
					"ACTIVE", "DRAINING", "DEAD" }) String state,
			Instant startedAt, Instant renewedAt, Instant leaseExpiresAt,
			@Schema(description = "The node that declared it dead and settled its jobs") String settledBy,
			List<Node.Pool> pools, @Schema(description = "Whether this node answered the request") boolean self){

		static NodeView of(Node node, String self) {
			return new NodeView(node.id(), node.host(), node.url(), node.state(), node.startedAt(), node.renewedAt(),
					node.leaseExpiresAt(), node.settledBy(), node.pools(), node.id().equals(self));
		}

	}

}
