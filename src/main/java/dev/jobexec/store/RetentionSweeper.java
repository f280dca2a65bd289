package dev.jobexec.store;

import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.jobexec.execution.OutputFiles;
import dev.jobexec.job.JobStore;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.SmartLifecycle;

/**
 * Deletes finished jobs older than {@code jobexec.retention.finished}, in batches, in the
 * background, and the files that kept their output.
 */
@Slf4j
public class RetentionSweeper implements SmartLifecycle {

	private final JobStore store;

	private final JobStoreProperties properties;

	private final AtomicLong deleted = new AtomicLong();

	private ScheduledExecutorService thread;

	private final OutputFiles outputFiles;

	RetentionSweeper(JobStore store, JobStoreProperties properties, OutputFiles outputFiles) {
		this.store = store;
		this.properties = properties;
		this.outputFiles = outputFiles;
	}

	/** Jobs deleted since start. */
	public long deleted() {
		return deleted.get();
	}

	void sweep() {
		Instant cutoff = Instant.now().minus(properties.finished());
		int batch;
		do {
			batch = store.deleteFinishedBefore(cutoff, properties.batchSize());
			deleted.addAndGet(batch);
		}
		while (batch == properties.batchSize() && !Thread.currentThread().isInterrupted());
		if (outputFiles != null) {
			outputFiles.sweep(cutoff);
		}
	}

	@Override
	public void start() {
		thread = Executors
			.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jobexec-retention").daemon(true).factory());
		long interval = properties.sweepInterval().toMillis();
		thread.scheduleWithFixedDelay(() -> {
			try {
				sweep();
			}
			catch (RuntimeException ex) {
				log.warn("Deleting old finished jobs failed: {}", ex.getMessage());
			}
		}, interval, interval, TimeUnit.MILLISECONDS);
	}

	@Override
	public void stop() {
		if (thread != null) {
			thread.shutdownNow();
		}
	}

	@Override
	public boolean isRunning() {
		return thread != null && !thread.isShutdown();
	}

}
