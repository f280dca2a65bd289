package dev.jobexec.cluster;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

/**
 * The registry's connections: in cluster mode a pool of two of its own, on the store's
 * database, that waits at most a heartbeat for a connection and a quarter lease for an
 * answer, so that a renewal can neither queue behind requests nor hang on a dead socket
 * past the fence margin; on the embedded store, the store's own (unused).
 */
final class NodeConnections implements AutoCloseable {

	private final DataSource dataSource;

	private final HikariDataSource own;

	private NodeConnections(DataSource dataSource, HikariDataSource own) {
		this.dataSource = dataSource;
		this.own = own;
	}

	static NodeConnections of(DataSource store, ClusterProperties properties, boolean clustered) {
		if (!clustered || !(store instanceof HikariDataSource shared)) {
			return new NodeConnections(store, null);
		}
		HikariDataSource own = new HikariDataSource();
		own.setPoolName("jobexec-registry");
		own.setJdbcUrl(shared.getJdbcUrl());
		own.setUsername(shared.getUsername());
		own.setPassword(shared.getPassword());
		own.setConnectionInitSql(shared.getConnectionInitSql());
		own.setMaximumPoolSize(2);
		own.setMinimumIdle(1);
		own.setConnectionTimeout(Math.max(250, properties.heartbeatInterval().toMillis()));
		own.setValidationTimeout(250);
		own.addDataSourceProperty("socketTimeout", String.valueOf(Math.max(1, properties.fenceMargin().toSeconds())));
		return new NodeConnections(own, own);
	}

	DataSource dataSource() {
		return dataSource;
	}

	@Override
	public void close() {
		if (own != null) {
			own.close();
		}
	}

}
