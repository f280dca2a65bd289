package dev.jobexec.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import lombok.extern.slf4j.Slf4j;

import org.springframework.context.SmartLifecycle;

/**
 * Checkpoints the embedded store every {@code jobexec.store.checkpoint-interval}, so that
 * its journal stays short; the last checkpoint is the store's own, when it closes.
 */
@Slf4j
class StoreCheckpoints implements SmartLifecycle {

	private final JdbcJobStore store;

	private final StoreProperties properties;

	private ScheduledExecutorService thread;

	StoreCheckpoints(JdbcJobStore store, StoreProperties properties) {
		this.store = store;
		this.properties = properties;
	}

	@Override
	public void start() {
		if (store.journal().isEmpty()) {
			return;
		}
		thread = Executors
			.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jobexec-checkpoint").daemon(true).factory());
		long interval = properties.checkpointInterval().toMillis();
		thread.scheduleWithFixedDelay(() -> {
			try {
				store.checkpoint();
			}
			catch (RuntimeException ex) {
				log.warn("Checkpointing the embedded store failed (its journal keeps the changes): {}",
						ex.getMessage());
			}
		}, interval, interval, TimeUnit.MILLISECONDS);
	}

	@Override
	public void stop() {
		if (thread != null) {
			thread.shutdown();
			try {
				thread.awaitTermination(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return thread != null && !thread.isShutdown();
	}

}
