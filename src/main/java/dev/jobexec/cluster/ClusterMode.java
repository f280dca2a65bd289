package dev.jobexec.cluster;

import org.springframework.core.env.Environment;

/**
 * Whether the service is a node of a cluster: its store, {@code spring.datasource.url},
 * is a PostgreSQL database. Decided at run time, not by a bean condition: Spring AOT (the
 * production launch) fixes bean conditions when the jar is built, where the store is the
 * embedded H2 one. The cluster's beans always exist and stay idle on H2.
 */
public final class ClusterMode {

	private ClusterMode() {
	}

	public static boolean on(Environment environment) {
		return environment.getProperty("spring.datasource.url", "").startsWith("jdbc:postgresql:");
	}

}
