package dev.jobexec.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.jobexec.support.Postgres;
import dev.jobexec.support.ServiceProcess;

/**
 * Real service JVMs on one fresh PostgreSQL schema, with short leases so that a dead node
 * is settled within seconds.
 */
final class Cluster implements AutoCloseable {

	static final String HEARTBEAT = "250ms";

	static final String LEASE = "2s";

	private final Path dir;

	private final String url = Postgres.freshSchemaUrl();

	private final List<ServiceProcess> nodes = new ArrayList<>();

	Cluster(Path dir) {
		this.dir = dir;
	}

	/** Starts a node with its own data directory and {@code args}; waits until ready. */
	ServiceProcess start(String name, String... args) throws IOException {
		List<String> all = new ArrayList<>(List.of(args));
		// The defaults of these tests, unless args set them (Spring Boot would join two
		// values of one property into a list).
		for (String fallback : List.of("--spring.datasource.url=" + url,
				"--spring.datasource.username=" + Postgres.USER, "--spring.datasource.password=" + Postgres.PASSWORD,
				"--jobexec.cluster.heartbeat-interval=" + HEARTBEAT, "--jobexec.cluster.lease=" + LEASE,
				"--jobexec.shutdown.drain-timeout=20s", "--jobexec.pools.process.kill-grace=1s")) {
			String property = fallback.substring(0, fallback.indexOf('=') + 1);
			if (all.stream().noneMatch((arg) -> arg.startsWith(property))) {
				all.add(fallback);
			}
		}
		Path nodeDir = dir.resolve(name + "-" + nodes.size());
		nodeDir.toFile().mkdirs();
		ServiceProcess node = ServiceProcess.start(nodeDir, List.of(), all.toArray(String[]::new));
		nodes.add(node);
		return node;
	}

	@Override
	public void close() {
		nodes.forEach(ServiceProcess::close);
	}

}
