package dev.jobexec.store;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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

	@Bean
	RetentionSweeper retentionSweeper(JdbcJobStore store, JobStoreProperties properties) {
		return new RetentionSweeper(store, properties);
	}

}
