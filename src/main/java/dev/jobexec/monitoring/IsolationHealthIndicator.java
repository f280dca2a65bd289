package dev.jobexec.monitoring;

import dev.jobexec.execution.process.JobIsolation;
import dev.jobexec.execution.process.ProcessIsolation;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code isolation} health component: how process jobs are started and confined here
 * (the spawn helper, the cgroup layout found, the limits that can be enforced, and per
 * pool whether its jobs get a cgroup each). Always up: a pool that requires cgroups the
 * machine lacks stops the service from starting, and one that prefers them runs without,
 * as the details say.
 */
@Component
class IsolationHealthIndicator extends AbstractHealthIndicator {

	private final JobIsolation isolation;

	IsolationHealthIndicator(JobIsolation isolation) {
		super("Isolation health check failed");
		this.isolation = isolation;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		ProcessIsolation now = isolation.snapshot();
		builder.up()
			.withDetail("spawn", now.spawn())
			.withDetail("layout", now.layout())
			.withDetail("cgroups", now.cgroups())
			.withDetail("limits", now.limits())
			.withDetail("pools", now.pools());
	}

}
