package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.jobexec.execution.TerminationReason;
import dev.jobexec.reaper.Leftovers;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * Settles what an earlier run left in the store, at start, before the web server takes
 * requests: jobs it was running are lost (and any process of theirs still alive is
 * killed), jobs it had queued are dispatched again in submission order.
 */
@Slf4j
class JobRecovery implements SmartLifecycle {

	private final JobStore store;

	private final JobService jobs;

	private final Leftovers leftovers;

	private final ApplicationEventPublisher events;

	private volatile boolean running;

	JobRecovery(JobStore store, JobService jobs, Leftovers leftovers, ApplicationEventPublisher events) {
		this.store = store;
		this.jobs = jobs;
		this.leftovers = leftovers;
		this.events = events;
	}

	void recover() {
		Instant now = Instant.now();
		List<Job> running = store.inState(JobState.RUNNING);
		int retried = 0;
		for (Job job : running) {
			Job.Persisted persisted = job.persisted();
			leftovers.kill(persisted.instance(), persisted.pid(), persisted.pidStartTicks());
			boolean again;
			synchronized (job) {
				again = job.loseOrRetry(now);
				store.update(job);
			}
			if (again) {
				retried++;
				events.publishEvent(
						new JobEvent.Retried(job.pool(), JobState.LOST, TerminationReason.SERVICE_LOST, null));
			}
			else {
				events.publishEvent(new JobEvent.Finished(job.pool(), JobState.LOST, Duration.ZERO));
			}
		}
		// In submission order; those that wait for their next attempt (retried just now
		// among them) start when it is due.
		List<Job> queued = store.inState(JobState.QUEUED);
		for (Job job : queued) {
			if (job.nextAttemptAt() != null) {
				jobs.awaitNextAttempt(job);
			}
			else {
				jobs.resubmit(job);
			}
		}
		if (!running.isEmpty() || !queued.isEmpty()) {
			log.info(
					"Recovered the job store: {} job(s) lost while running ({} of them to be retried), {} queued "
							+ "job(s) dispatched again or waiting for their next attempt",
					running.size(), retried, queued.size() - retried);
		}
	}

	@Override
	public void start() {
		// A node of a cluster settles only the jobs of dead nodes (the cluster's node
		// registry does that); everything else in the store belongs to live nodes.
		if (!jobs.clustered()) {
			recover();
		}
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
