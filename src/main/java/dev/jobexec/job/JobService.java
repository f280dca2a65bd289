package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import dev.jobexec.execution.Execution;
import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionStart;
import dev.jobexec.execution.PoolClosedException;
import dev.jobexec.execution.PoolFullException;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.execution.UnknownPoolException;
import dev.jobexec.execution.WorkerPool;
import dev.jobexec.execution.process.CommandNotAllowedException;
import dev.jobexec.execution.thread.UnknownTaskException;
import dev.jobexec.reaper.JobProcesses;
import lombok.RequiredArgsConstructor;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;
import org.springframework.web.ErrorResponseException;

/**
 * The lifecycle of jobs: submits (validate, store, hand to the pool), cancels, waits for
 * the end, and records every state change the pool reports.
 */
@Slf4j
@Service
@RequiredArgsConstructor
public class JobService implements SmartLifecycle {

	/** How long a cancel waits for the ladder before answering 202 instead of 200. */
	private static final Duration CANCEL_WAIT = Duration.ofSeconds(1);

	private final SubmissionValidator validator;

	private final PoolRouter router;

	private final JobStore store;

	private final ApplicationEventPublisher events;

	private final JobProcesses processes;

	/**
	 * Queued and running jobs: the objects clients wait on. Finished jobs live in the
	 * store only.
	 */
	private final Map<String, Job> active = new ConcurrentHashMap<>();

	private final Map<String, Execution> executions = new ConcurrentHashMap<>();

	private final CompletableFuture<Void> closed = new CompletableFuture<>();

	private volatile boolean running;

	/**
	 * Validates, stores and queues a job.
	 * @throws InvalidJobException (400), CommandNotAllowedException (403),
	 * UnknownPoolException or UnknownTaskException (404), PoolFullException (429),
	 * PoolClosedException or StoreUnavailableException (503)
	 */
	public Job submit(JobRequest request) {
		String poolName = SubmissionValidator.poolName(request);
		SubmissionValidator.Validated validated;
		try {
			validated = validator.validate(request, poolName);
		}
		catch (CommandNotAllowedException ex) {
			events.publishEvent(new JobEvent.Rejected(poolName, "forbidden"));
			throw ex;
		}
		catch (InvalidJobException | UnknownPoolException | UnknownTaskException ex) {
			events.publishEvent(new JobEvent.Rejected(poolTag(poolName), "invalid"));
			throw ex;
		}
		WorkerPool.Reservation reservation;
		try {
			reservation = validated.pool().reserve();
		}
		catch (PoolFullException ex) {
			events.publishEvent(new JobEvent.Rejected(poolName, "queue_full"));
			throw ex;
		}
		catch (PoolClosedException ex) {
			events.publishEvent(new JobEvent.Rejected(poolName, "shutting_down"));
			throw ex;
		}
		Job job = new Job(JobIds.next(), poolName, request, validated.timeout(), Instant.now());
		try {
			store.insert(job);
		}
		catch (RuntimeException ex) {
			reservation.release();
			events.publishEvent(new JobEvent.Rejected(poolName, "store_unavailable"));
			throw ex;
		}
		events.publishEvent(new JobEvent.Submitted(poolName));
		dispatch(job, validated, reservation);
		return job;
	}

	/**
	 * Counts, as {@code invalid}, a submission refused before it reached {@link #submit}:
	 * a body that is not a readable job request or fails Bean Validation. It is tagged
	 * with the pool {@code submit} would have named, or {@code unknown}; {@code request}
	 * is null when no body could be read.
	 */
	public void refusedBeforeSubmit(JobRequest request) {
		String poolName = (request != null) ? SubmissionValidator.poolName(request) : null;
		events.publishEvent(new JobEvent.Rejected(poolTag(poolName), "invalid"));
	}

	/** The pool a refusal is counted under: one that exists, or {@code unknown}. */
	private String poolTag(String poolName) {
		return (poolName != null && router.exists(poolName)) ? poolName : "unknown";
	}

	/**
	 * Dispatches a job an earlier run accepted and left queued; it ends cancelled, with
	 * the reason, when its pool or command is no longer allowed.
	 */
	void resubmit(Job job) {
		SubmissionValidator.Validated validated;
		WorkerPool.Reservation reservation;
		try {
			validated = validator.validate(job.request(), job.pool());
			reservation = validated.pool().reserveAccepted();
		}
		catch (ErrorResponseException ex) {
			String why = (ex.getBody().getDetail() != null) ? ex.getBody().getDetail() : ex.getMessage();
			synchronized (job) {
				job.cancel(ExecutionOutcome.notDispatched("could not be dispatched again after a restart: " + why),
						Instant.now());
				store.update(job);
			}
			log.warn("Queued job {} could not be dispatched again after a restart: {}", job.id(), why);
			return;
		}
		dispatch(job, validated, reservation);
	}

	private void dispatch(Job job, SubmissionValidator.Validated validated, WorkerPool.Reservation reservation) {
		active.put(job.id(), job);
		executions.put(job.id(), reservation.bind(validated.spec(job.id(), job.request()), new Recorder(job)));
		reservation.submit();
	}

	/**
	 * @throws JobNotFoundException (404)
	 */
	public Job get(String id) {
		Job job = active.get(id);
		if (job != null) {
			return job;
		}
		if (!JobIds.isValid(id)) {
			throw JobNotFoundException.malformed(id);
		}
		return store.find(id).orElseThrow(() -> JobNotFoundException.unknown(id));
	}

	/** The job once it has ended, or as it is when {@code wait} has elapsed. */
	public Job await(String id, Duration wait) {
		Job job = get(id);
		awaitTerminal(job, wait);
		return job;
	}

	/**
	 * Waits up to {@code wait} for the job to end; returns whether it did. Waiting never
	 * affects the job, and every waiter is released once the pools have shut down, so
	 * that a long poll on a job that stays queued does not hold up the web server's
	 * graceful shutdown.
	 */
	public boolean awaitTerminal(Job job, Duration wait) {
		if (wait.isZero() || wait.isNegative() || job.whenTerminal().isDone()) {
			return job.whenTerminal().isDone();
		}
		try {
			CompletableFuture.anyOf(job.whenTerminal(), closed).get(wait.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			// The wait elapsed: the client gets the job as it is.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException(ex);
		}
		return job.whenTerminal().isDone();
	}

	public List<Job> list(JobStore.Query query) {
		if (query.after() != null && !JobIds.isValid(query.after())) {
			throw InvalidJobException.of("cursor", "is not a cursor this service returned");
		}
		return store.list(query).stream().map((job) -> active.getOrDefault(job.id(), job)).toList();
	}

	/**
	 * Cancels a job: a queued one never starts, a running one goes down the termination
	 * ladder. Waits briefly for the ladder so that the common case answers with the
	 * cancelled job.
	 * @throws JobFinishedException (409) when it has already ended
	 */
	public Job cancel(String id) {
		Job job = get(id);
		Execution execution = executions.get(id);
		if (execution == null || job.state().isTerminal()) {
			throw new JobFinishedException(id, job.state());
		}
		execution.terminate(TerminationReason.CANCELLED);
		awaitTerminal(job, CANCEL_WAIT);
		return job;
	}

	@Override
	public void start() {
		running = true;
	}

	/**
	 * Releases every waiting client; runs after the pools have drained and the reaper has
	 * cleared up.
	 */
	@Override
	public void stop() {
		running = false;
		closed.complete(null);
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public boolean isPauseable() {
		// Its stop releases every waiter for good; pausing a context must not do that.
		return false;
	}

	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 2;
	}

	/**
	 * Stores a state change, retrying a little: the change has happened and cannot be
	 * refused. If the store stays unwritable the change is kept in memory only, health
	 * reports the store down, and a restart will find the job as it was last stored.
	 */
	private void record(Job job) {
		for (int attempt = 1;; attempt++) {
			try {
				store.update(job);
				return;
			}
			catch (StoreUnavailableException ex) {
				if (attempt == 3) {
					log.error("Job {} is {} but that could not be stored", job.id(), job.state());
					return;
				}
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100L * attempt));
			}
		}
	}

	/** Records what the pool reports about one job. */
	private final class Recorder implements ExecutionListener {

		private final Job job;

		Recorder(Job job) {
			this.job = job;
		}

		@Override
		public void started(ExecutionStart start) {
			// Readers of the job wait on its monitor, so they see the change only once it
			// is stored.
			synchronized (job) {
				job.start(start.pid(), start.pidStartTicks(), processes.instance(), start.at());
				record(job);
			}
			events.publishEvent(new JobEvent.Started(job.pool(), Duration.between(job.submittedAt(), start.at())));
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			Instant now = Instant.now();
			try {
				synchronized (job) {
					job.finish(outcome, now);
					record(job);
				}
			}
			finally {
				executions.remove(job.id());
				active.remove(job.id());
			}
			if (outcome.terminationReason() == TerminationReason.SHUTDOWN) {
				log.info("Job {} ended as {} by the shutdown", job.id(), job.state());
			}
			Instant from = (job.startedAt() != null) ? job.startedAt() : job.submittedAt();
			events.publishEvent(new JobEvent.Finished(job.pool(), job.state(), Duration.between(from, now)));
		}

	}

}
