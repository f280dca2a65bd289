package dev.jobexec.monitoring;

import java.time.Duration;
import java.time.Instant;

import dev.jobexec.reaper.Reaper;
import dev.jobexec.reaper.ReaperSnapshot;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code reaper} health component: down when the reaper has stopped scanning; up
 * otherwise, with whether the service is a child subreaper (and why not), what was reaped
 * and killed, and the live processes the service is responsible for.
 */
@Component
class ReaperHealthIndicator extends AbstractHealthIndicator {

	private final Reaper reaper;

	ReaperHealthIndicator(Reaper reaper) {
		super("Reaper health check failed");
		this.reaper = reaper;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		ReaperSnapshot snapshot = reaper.snapshot();
		builder.withDetail("subreaper", snapshot.subreaper());
		if (snapshot.subreaperProblem() != null) {
			builder.withDetail("subreaperProblem", snapshot.subreaperProblem());
		}
		builder.withDetail("crashGuard", snapshot.crashGuard())
			.withDetail("interval", snapshot.interval().toString())
			.withDetail("lastScan", String.valueOf(snapshot.lastScan()))
			.withDetail("zombiesReaped", snapshot.zombiesReaped())
			.withDetail("orphansKilled", snapshot.orphansKilled())
			.withDetail("orphansTerminating", snapshot.orphansTerminating())
			.withDetail("liveProcesses", snapshot.liveProcesses());
		Duration stale = snapshot.interval().multipliedBy(5).plusSeconds(5);
		if (snapshot.lastScan() != null && snapshot.lastScan().plus(stale).isBefore(Instant.now())) {
			builder.down().withDetail("problem", "no scan since " + snapshot.lastScan());
		}
		else {
			builder.up();
		}
	}

}
