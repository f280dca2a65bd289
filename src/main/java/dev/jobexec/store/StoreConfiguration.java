package dev.jobexec.store;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** Wires the JDBC job store and its retention. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(JobStoreProperties.class)
class StoreConfiguration {

	@Bean
	JdbcJobStore jobStore(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json) {
		return new JdbcJobStore(jdbc, transactions, json);
	}

	/**
	 * Decided from the URL at run time (not by a bean condition, which Spring AOT would
	 * fix at build time).
	 */
	@Bean
	StoreFootprint storeFootprint(JdbcClient jdbc, Environment environment) {
		return new StoreFootprint(jdbc, environment.getProperty("spring.datasource.url", "").startsWith("jdbc:h2:"));
	}

	@Bean
	RetentionSweeper retentionSweeper(JdbcJobStore store, JobStoreProperties properties) {
		return new RetentionSweeper(store, properties);
	}

}
