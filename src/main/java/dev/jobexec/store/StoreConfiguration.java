package dev.jobexec.store;

import javax.sql.DataSource;

import dev.jobexec.execution.OutputFiles;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** Wires the JDBC job store and its retention. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ JobStoreProperties.class, StoreProperties.class })
class StoreConfiguration {

	/**
	 * On the embedded H2 store, the journal left by the last run is replayed here, after
	 * the migrations and before anything reads the store.
	 */
	@Bean
	JdbcJobStore jobStore(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json, DataSource dataSource) {
		return new JdbcJobStore(jdbc, transactions, json,
				StoreJournal.open(dataSource, transactions, JdbcJobStore.jobColumns(), JdbcJobStore.stateColumns()));
	}

	@Bean
	StoreCheckpoints storeCheckpoints(JdbcJobStore store, StoreProperties properties) {
		return new StoreCheckpoints(store, properties);
	}

	/**
	 * Decided from the URL at run time (not by a bean condition, which Spring AOT would
	 * fix at build time).
	 */
	@Bean
	StoreFootprint storeFootprint(JdbcClient jdbc, Environment environment, JdbcJobStore store) {
		return new StoreFootprint(jdbc, environment.getProperty("spring.datasource.url", "").startsWith("jdbc:h2:"),
				store.journal().orElse(null));
	}

	@Bean
	RetentionSweeper retentionSweeper(JdbcJobStore store, JobStoreProperties properties,
			ObjectProvider<OutputFiles> outputFiles) {
		return new RetentionSweeper(store, properties, outputFiles.getIfAvailable());
	}

}
