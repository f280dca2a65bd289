package dev.jobexec.reaper;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the reaper scans for zombies and orphans, bound from {@code jobexec.reaper.*}.
 *
 * @param interval how often the reaper scans {@code /proc}
 * @param killGrace time between SIGTERM and SIGKILL for an orphan whose job has ended
 */
@ConfigurationProperties("jobexec.reaper")
public record ReaperProperties(@DefaultValue("1s") Duration interval, @DefaultValue("5s") Duration killGrace) {

	public ReaperProperties {
		if (interval.isNegative() || interval.toMillis() < 10) {
			throw new IllegalArgumentException("jobexec.reaper.interval must be at least 10ms, was " + interval);
		}
		if (killGrace.isNegative() || killGrace.isZero()) {
			throw new IllegalArgumentException("jobexec.reaper.kill-grace must be positive, was " + killGrace);
		}
	}

}
