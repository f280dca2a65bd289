package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ExecutionPropertiesTests {

	private static final ExecutionProperties.Shutdown SHUTDOWN = new ExecutionProperties.Shutdown(
			Duration.ofSeconds(30));

	@Test
	void processAndThreadPoolsAlwaysExistWithTheirTypesDefaults() {
		ExecutionProperties properties = new ExecutionProperties(Path.of("data"), null, SHUTDOWN);
		ExecutionProperties.Pool process = properties.pools().get("process");
		assertThat(process.type()).isEqualTo(PoolType.PROCESS);
		assertThat(process.maxConcurrency()).isEqualTo(Runtime.getRuntime().availableProcessors());
		assertThat(process.queueCapacity()).isEqualTo(100);
		assertThat(process.killGrace()).isEqualTo(Duration.ofSeconds(5));
		assertThat(process.baseDirectory()).isEqualTo(Path.of("data/work/process"));
		ExecutionProperties.Pool thread = properties.pools().get("thread");
		assertThat(thread.maxConcurrency()).isEqualTo(64);
		assertThat(thread.queueCapacity()).isEqualTo(1000);
		assertThat(thread.defaultTimeout()).isEqualTo(Duration.ofMinutes(1));
	}

	@Test
	void badPoolsFailWithAMessageNamingTheProperty() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new ExecutionProperties(Path.of("data"), Map.of("reports", pool(null, 1)), SHUTDOWN))
			.withMessage("jobexec.pools.reports.type must be set to 'process' or 'thread'");
		assertThatIllegalArgumentException().isThrownBy(
				() -> new ExecutionProperties(Path.of("data"), Map.of("reports", pool(PoolType.PROCESS, 0)), SHUTDOWN))
			.withMessageContaining("jobexec.pools.reports.max-concurrency must be at least 1");
	}

	@Test
	void aBadRetryPolicyOfAPoolFailsWithAMessageNamingTheProperty() {
		Map<ExecutionProperties.Retry, String> refused = Map.of(
				new ExecutionProperties.Retry(0, null, null, null, null), "jobexec.pools.reports.retry.max-attempts",
				new ExecutionProperties.Retry(null, Duration.ofSeconds(-1), null, null, null),
				"jobexec.pools.reports.retry.backoff",
				new ExecutionProperties.Retry(null, Duration.ofMinutes(2), Duration.ofMinutes(1), null, null),
				"jobexec.pools.reports.retry.max-backoff (PT1M) is shorter than backoff (PT2M)",
				new ExecutionProperties.Retry(null, null, null, java.util.List.of("CANCELLED"), null),
				"jobexec.pools.reports.retry.outcomes must name one or more of FAILED, TIMED_OUT, LOST");
		refused.forEach(
				(retry, message) -> assertThatIllegalArgumentException()
					.isThrownBy(() -> new ExecutionProperties(Path.of("data"),
							Map.of("reports", new ExecutionProperties.Pool(PoolType.THREAD, null, null, null, null,
									null, null, null, null, null, retry)),
							SHUTDOWN))
					.withMessageContaining(message));
	}

	@Test
	void aPoolsRetryPolicyBindsFromItsPropertiesWithOutcomesForTheSubmissionsOn() {
		Map<String, String> source = Map.of("jobexec.pools.reports.type", "thread",
				"jobexec.pools.reports.retry.max-attempts", "4", "jobexec.pools.reports.retry.backoff", "250ms",
				"jobexec.pools.reports.retry.max-backoff", "2s", "jobexec.pools.reports.retry.outcomes", "FAILED,LOST",
				"jobexec.pools.reports.retry.jitter", "true");

		ExecutionProperties properties = new org.springframework.boot.context.properties.bind.Binder(
				new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(source))
			.bindOrCreate("jobexec", ExecutionProperties.class);

		assertThat(properties.pools().get("reports").retry()).isEqualTo(new ExecutionProperties.Retry(4,
				Duration.ofMillis(250), Duration.ofSeconds(2), java.util.List.of("FAILED", "LOST"), true));
	}

	private static ExecutionProperties.Pool pool(PoolType type, Integer maxConcurrency) {
		return new ExecutionProperties.Pool(type, maxConcurrency, null, null, null, null, null, null);
	}

}
