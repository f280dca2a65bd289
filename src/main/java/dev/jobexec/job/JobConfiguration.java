package dev.jobexec.job;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the job store. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(JobStoreProperties.class)
class JobConfiguration {

	@Bean
	@ConditionalOnMissingBean(JobStore.class)
	JobStore inMemoryJobStore(JobStoreProperties properties) {
		return new InMemoryJobStore(properties);
	}

}
