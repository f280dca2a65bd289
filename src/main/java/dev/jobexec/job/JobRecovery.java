package dev.jobexec.job;

import org.springframework.context.SmartLifecycle;

/**
 * Settles the store at start, before the web server takes requests: jobs an earlier run
 * left running are lost, jobs it left queued run again.
 */
class JobRecovery implements SmartLifecycle {

	private final JobService jobs;

	private volatile boolean running;

	JobRecovery(JobService jobs) {
		this.jobs = jobs;
	}

	@Override
	public void start() {
		jobs.recover();
		running = true;
	}

	@Override
	public void stop() {
		running = false;
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public boolean isPauseable() {
		// Recovery runs once per start of the service, not again when a paused context
		// resumes.
		return false;
	}

	@Override
	public int getPhase() {
		// Before the web server starts (SmartLifecycle.DEFAULT_PHASE - 2048).
		return 0;
	}

}
