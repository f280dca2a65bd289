package dev.jobexec.execution;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the pools: one timer for deadlines and ladders, one router over all pools. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ExecutionProperties.class)
class ExecutionConfiguration {

	/**
	 * Fires job timeouts and termination-ladder steps. Its queue holds at most a few
	 * entries per running job, so it is bounded by the pools' max-concurrency.
	 */
	@Bean(destroyMethod = "shutdownNow")
	ScheduledExecutorService jobexecTimer() {
		ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
				Thread.ofPlatform().name("jobexec-timer").daemon(true).factory());
		timer.setRemoveOnCancelPolicy(true);
		return timer;
	}

	@Bean
	PoolRouter poolRouter(ExecutionProperties properties, List<JobRunnerFactory> factories,
			ScheduledExecutorService jobexecTimer) {
		return new PoolRouter(properties, factories, jobexecTimer);
	}

	@Bean
	ExecutionShutdown executionShutdown(PoolRouter poolRouter, ExecutionProperties properties) {
		return new ExecutionShutdown(poolRouter, properties.shutdown().drainTimeout());
	}

}
