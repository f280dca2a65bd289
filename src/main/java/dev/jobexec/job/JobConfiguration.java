package dev.jobexec.job;

import dev.jobexec.reaper.Leftovers;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the submission limits and the recovery of the store at start. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ JobLimits.class, EventsProperties.class })
class JobConfiguration {

	@Bean
	JobRecovery jobRecovery(JobStore store, JobService jobs, Leftovers leftovers, ApplicationEventPublisher events) {
		return new JobRecovery(store, jobs, leftovers, events);
	}

	@Bean
	JobChangeFeed jobChangeFeed(JobStore store, EventsProperties properties) {
		return new JobChangeFeed(store, properties);
	}

}
