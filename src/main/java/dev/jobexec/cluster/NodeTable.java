package dev.jobexec.cluster;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The node registry's table. Every time in it comes from the database's clock
 * ({@code now()}), so that no two nodes' clocks are ever compared.
 */
final class NodeTable {

	private static final TypeReference<List<Node.Pool>> POOLS = new TypeReference<>() {
	};

	/** An interval parameter in milliseconds, for {@code now() + ...}. */
	private static final String MILLIS = " * interval '1 millisecond'";

	private final JdbcClient jdbc;

	private final JsonMapper json;

	NodeTable(JdbcClient jdbc, JsonMapper json) {
		this.jdbc = jdbc;
		this.json = json;
	}

	void register(String id, HostIdentity host, long pid, long pidStartTicks, String url, List<Node.Pool> pools,
			Duration lease) {
		jdbc.sql("insert into node (id, host, host_key, pid, pid_start_ticks, url, pools, state, started_at, "
				+ "renewed_at, lease_expires_at) values (?, ?, ?, ?, ?, ?, ?, 'ACTIVE', now(), now(), now() + ?"
				+ MILLIS + ")")
			.params(id, host.host(), host.key(), pid, pidStartTicks, url, json.writeValueAsString(pools),
					lease.toMillis())
			.update();
	}

	/**
	 * Renews the lease unless it has expired by the database's clock; returns whether it
	 * did. An expired lease is never renewed: the node's jobs may be settled already.
	 */
	boolean renew(String id, List<Node.Pool> pools, String url, Duration lease) {
		return jdbc
			.sql("update node set renewed_at = now(), lease_expires_at = now() + ?" + MILLIS
					+ ", pools = ?, url = ? where id = ? and state <> 'DEAD' and lease_expires_at > now()")
			.params(lease.toMillis(), json.writeValueAsString(pools), url, id)
			.update() == 1;
	}

	void markDraining(String id) {
		jdbc.sql("update node set state = 'DRAINING' where id = ? and state = 'ACTIVE'").param(id).update();
	}

	/**
	 * Declares dead every node whose lease has expired; each is declared by exactly one
	 * node (the update's row lock and its re-checked condition). Returns their ids.
	 */
	List<String> settleExpired(String settler) {
		return jdbc
			.sql("update node set state = 'DEAD', settled_by = ?, settled_at = now() where state <> 'DEAD' "
					+ "and lease_expires_at <= now() returning id")
			.param(settler)
			.query(String.class)
			.list();
	}

	/**
	 * Declares one node dead, unless another node did first; returns whether this did.
	 */
	boolean settle(String id, String settler) {
		return jdbc
			.sql("update node set state = 'DEAD', settled_by = ?, settled_at = now() where id = ? "
					+ "and state <> 'DEAD'")
			.params(settler, id)
			.update() == 1;
	}

	/** Nodes not yet dead that see the same {@code /proc} as {@code host}. */
	List<Local> liveOnHost(HostIdentity host, String except) {
		return jdbc.sql("select id, pid, pid_start_ticks from node where host_key = ? and state <> 'DEAD' and id <> ?")
			.params(host.key(), except)
			.query((rs, n) -> new Local(rs.getString(1), rs.getLong(2), rs.getLong(3)))
			.list();
	}

	/** The ids of dead nodes that ran on {@code host}. */
	List<String> deadOnHost(HostIdentity host) {
		return jdbc.sql("select id from node where host_key = ? and state = 'DEAD'")
			.param(host.key())
			.query(String.class)
			.list();
	}

	/**
	 * Brings back a node the cluster declared dead once its jobs are settled; returns
	 * whether it did.
	 */
	boolean rejoin(String id, Duration lease) {
		return jdbc
			.sql("update node set state = 'ACTIVE', settled_by = null, settled_at = null, renewed_at = now(), "
					+ "lease_expires_at = now() + ?" + MILLIS + " where id = ? and state = 'DEAD'")
			.params(lease.toMillis(), id)
			.update() == 1;
	}

	void leave(String id) {
		jdbc.sql("delete from node where id = ?").param(id).update();
	}

	/** Forgets nodes that have been dead for longer than {@code kept}. */
	int forgetDead(Duration kept) {
		return jdbc.sql("delete from node where state = 'DEAD' and settled_at < now() - ?" + MILLIS)
			.param(kept.toMillis())
			.update();
	}

	/** Unclaimed queued jobs per pool, across the cluster. */
	Map<String, Long> waitingByPool() {
		Map<String, Long> waiting = new HashMap<>();
		jdbc.sql("select pool, count(*) from job where state = 'QUEUED' and instance is null group by pool")
			.query((rs, n) -> waiting.put(rs.getString(1), rs.getLong(2)))
			.list();
		return waiting;
	}

	/** Every node, with the state the database's clock gives it now. */
	List<Node> list() {
		return jdbc
			.sql("select id, host, url, case when state <> 'DEAD' and lease_expires_at <= now() then 'DEAD' "
					+ "else state end as state, started_at, renewed_at, lease_expires_at, settled_by, pools from node "
					+ "order by started_at, id")
			.query(this::row)
			.list();
	}

	private Node row(ResultSet rs, int n) throws SQLException {
		return new Node(rs.getString("id"), rs.getString("host"), rs.getString("url"), rs.getString("state"),
				instant(rs, "started_at"), instant(rs, "renewed_at"), instant(rs, "lease_expires_at"),
				rs.getString("settled_by"), json.readValue(rs.getString("pools"), POOLS));
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	/** A node on this node's host: its JVM's pid and start time. */
	record Local(String id, long pid, long pidStartTicks) {
	}

}
