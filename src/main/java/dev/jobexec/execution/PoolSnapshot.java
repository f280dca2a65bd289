package dev.jobexec.execution;

import java.time.Duration;

/** The live figures and configuration of one pool at one moment. */
public record PoolSnapshot(String name, PoolType type, int maxConcurrency, int queueCapacity, int active, int queued,
		long completed, long rejected, int stuckThreads, Duration defaultTimeout, Duration maxTimeout,
		Duration killGrace, boolean accepting) {

}
