package dev.jobexec.execution;

import java.time.Duration;

import lombok.extern.slf4j.Slf4j;

import org.springframework.context.SmartLifecycle;

/**
 * Applies daemon semantics when the service stops. It stops before the web server does,
 * so that submissions made during the drain get a 503 instead of a refused connection.
 */
@Slf4j
class ExecutionShutdown implements SmartLifecycle {

	private final PoolRouter router;

	private final Duration drainTimeout;

	private volatile boolean running;

	ExecutionShutdown(PoolRouter router, Duration drainTimeout) {
		this.router = router;
		this.drainTimeout = drainTimeout;
	}

	@Override
	public void start() {
		running = true;
	}

	@Override
	public void stop() {
		log.info("Shutting down: daemon jobs are terminated now, running non-daemon jobs get up to {}", drainTimeout);
		try {
			router.shutdown(drainTimeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			running = false;
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public boolean isPauseable() {
		// Stopping is a shutdown: pools closed by it do not reopen, so a paused context
		// must not stop it.
		return false;
	}

	@Override
	public int getPhase() {
		// Stopped first: before the web server's graceful shutdown (DEFAULT_PHASE -
		// 1024).
		return Integer.MAX_VALUE;
	}

}
