package dev.jobexec.cluster;

import java.time.Instant;
import java.util.List;

import dev.jobexec.execution.PoolSnapshot;

/**
 * A node of the cluster as the registry shows it: where it runs and is reached, the pools
 * it serves with their figures at its last renewal, and its state ({@code ACTIVE},
 * {@code DRAINING} or {@code DEAD}, judged by the database's clock).
 */
public record Node(String id, String host, String url, String state, Instant startedAt, Instant renewedAt,
		Instant leaseExpiresAt, String settledBy, List<Pool> pools) {

	/** One pool a node serves, as it was at the node's last renewal. */
	public record Pool(String name, String type, int maxConcurrency, int active, int queueCapacity) {

		/** The figures of a pool of this node, now. */
		public static Pool of(PoolSnapshot pool) {
			return new Pool(pool.name(), pool.type().id(), pool.maxConcurrency(), pool.active(), pool.queueCapacity());
		}

	}

}
