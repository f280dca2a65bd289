package dev.jobexec.job;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** Wires the job store, its recovery at start and its retention. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ JobStoreProperties.class, JobLimits.class })
class JobConfiguration {

	@Bean
	JdbcJobStore jobStore(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json) {
		return new JdbcJobStore(jdbc, transactions, json);
	}

	@Bean
	JobRecovery jobRecovery(JobService jobs) {
		return new JobRecovery(jobs);
	}

	@Bean
	RetentionSweeper retentionSweeper(JobStore store, JobStoreProperties properties) {
		return new RetentionSweeper(store, properties);
	}

}
