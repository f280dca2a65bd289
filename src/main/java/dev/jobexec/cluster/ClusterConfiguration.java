package dev.jobexec.cluster;

import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.job.JobService;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.NodeLease;
import dev.jobexec.reaper.JobProcesses;
import dev.jobexec.reaper.Leftovers;
import dev.jobexec.reaper.Reaper;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Cluster mode, on when the job store is PostgreSQL: every service on the same database
 * is a node, and one node is a cluster of one. The embedded H2 store stays single-node:
 * the beans exist (see {@link ClusterMode}) and stay idle.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ClusterProperties.class)
class ClusterConfiguration {

	/** This node's id is the marker its job processes carry (JOBEXEC_INSTANCE). */
	@Bean
	NodeLease nodeLease(JobProcesses processes, Environment environment) {
		return new NodeLease(processes.instance(), ClusterMode.on(environment));
	}

	@Bean
	NodeRegistry nodeRegistry(ClusterProperties properties, NodeConnections connections, JsonMapper json,
			JobStore store, JobService jobs, NodeLease lease, Reaper reaper, Leftovers leftovers, PoolRouter router,
			ApplicationEventPublisher events, Environment environment) {
		JdbcTemplate template = new JdbcTemplate(connections.dataSource());
		// A renewal that hangs must not outlive the lease: the query gives up first.
		template.setQueryTimeout((int) Math.max(1, properties.heartbeatInterval().toSeconds()));
		String url = (properties.advertisedUrl() != null) ? properties.advertisedUrl()
				: "http://" + HostIdentity.current().host() + ":" + environment.getProperty("server.port", "8080");
		return new NodeRegistry(properties, new NodeTable(JdbcClient.create(template), json), store, jobs, lease,
				reaper, leftovers, router, events, url, ClusterMode.on(environment));
	}

	/**
	 * Connections of the registry's own, so that renewals never wait behind a pool that
	 * requests have exhausted, and give up before the lease runs out.
	 */
	@Bean(destroyMethod = "close")
	NodeConnections nodeConnections(DataSource dataSource, ClusterProperties properties, Environment environment) {
		return NodeConnections.of(dataSource, properties, ClusterMode.on(environment));
	}

	/**
	 * Ends, on the database's side, a transaction left open by a frozen node (a stopped
	 * JVM, a long pause) after a quarter lease, so that the locks it holds (a job row,
	 * the queue's lock) never stall the other nodes longer than that.
	 */
	@Bean
	static BeanPostProcessor clusterTransactionTimeout(Environment environment) {
		return new BeanPostProcessor() {

			@Override
			public Object postProcessBeforeInitialization(Object bean, String beanName) {
				if (bean instanceof HikariDataSource hikari && ClusterMode.on(environment)
						&& hikari.getConnectionInitSql() == null) {
					Duration lease = environment.getProperty("jobexec.cluster.lease", Duration.class,
							Duration.ofSeconds(10));
					hikari.setConnectionInitSql(
							"set idle_in_transaction_session_timeout = " + lease.dividedBy(4).toMillis());
				}
				return bean;
			}

		};
	}

	@Bean
	ClusterNotifications clusterNotifications(DataSource dataSource, JobService jobs, NodeRegistry registry) {
		return new ClusterNotifications(dataSource, jobs, registry.counters(), registry.enabled());
	}

	/** Names the real port in the advertised URL when the server picked one itself. */
	@Bean
	ApplicationListener<WebServerInitializedEvent> advertisedPort(ClusterProperties properties, NodeRegistry registry) {
		return (event) -> {
			if (properties.advertisedUrl() == null) {
				registry.listening("http://" + HostIdentity.current().host() + ":" + event.getWebServer().getPort());
			}
		};
	}

	/** Shows the node as draining as soon as the shutdown begins. */
	@Bean
	ApplicationListener<ContextClosedEvent> drainingNode(NodeRegistry registry) {
		return (event) -> registry.draining();
	}

}
