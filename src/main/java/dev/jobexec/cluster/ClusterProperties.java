package dev.jobexec.cluster;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a node takes part in a cluster (a PostgreSQL store), bound from
 * {@code jobexec.cluster.*}.
 *
 * @param heartbeatInterval how often a node renews its lease, settles dead nodes, polls
 * for queued jobs and for cancel requests
 * @param lease how long a node may go without renewing before the others settle its jobs;
 * its own crash guard kills its job processes a quarter of the lease earlier
 * @param advertisedUrl where other nodes and clients reach this node; by default
 * {@code http://<host name>:<server.port>}
 */
@ConfigurationProperties("jobexec.cluster")
public record ClusterProperties(@DefaultValue("2s") Duration heartbeatInterval, @DefaultValue("10s") Duration lease,
		String advertisedUrl) {

	public ClusterProperties {
		if (heartbeatInterval.toMillis() < 50) {
			throw new IllegalArgumentException(
					"jobexec.cluster.heartbeat-interval must be at least 50ms, was " + heartbeatInterval);
		}
		if (lease.compareTo(heartbeatInterval.multipliedBy(3)) < 0) {
			throw new IllegalArgumentException("jobexec.cluster.lease (" + lease
					+ ") must be at least three heartbeat intervals (jobexec.cluster.heartbeat-interval is "
					+ heartbeatInterval + "), so that one slow renewal does not cost a node its jobs");
		}
	}

	/**
	 * How long before the database lets the lease expire the node stops holding it and
	 * its crash guard kills its job processes.
	 */
	Duration fenceMargin() {
		return lease.dividedBy(4);
	}

}
