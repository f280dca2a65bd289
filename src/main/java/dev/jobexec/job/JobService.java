package dev.jobexec.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import lombok.extern.slf4j.Slf4j;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.web.ErrorResponseException;

/**
 * The lifecycle of jobs: submits (validate, store, hand to the pool), cancels, waits for
 * the end, and records every state change the pool reports.
 */
@Slf4j
@Service
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
	 * This node's lease when the store is shared by a cluster (PostgreSQL); null for the
	 * embedded store, where this service is the only node and queues in memory.
	 */
	private final NodeLease lease;

	/** Cluster mode: claims jobs from the shared queue. */
	private final Claims claims;

	/**
	 * Cluster mode: jobs whose last state change could not be stored; retried after the
	 * lease is renewed, dropped once it is lost (then the cluster settles them).
	 */
	private final Set<Job> unrecorded = ConcurrentHashMap.newKeySet();

	public JobService(SubmissionValidator validator, PoolRouter router, JobStore store,
			ApplicationEventPublisher events, JobProcesses processes, ObjectProvider<NodeLease> lease) {
		this.validator = validator;
		this.router = router;
		this.store = store;
		this.events = events;
		this.processes = processes;
		NodeLease nodeLease = lease.getIfAvailable();
		this.lease = (nodeLease != null && nodeLease.clustered()) ? nodeLease : null;
		this.claims = (this.lease != null) ? new Claims(this, store, this.lease, events) : null;
	}

	/** Whether this service is a node of a cluster (its store is PostgreSQL). */
	public boolean clustered() {
		return lease != null;
	}

	/**
	 * Validates, stores and queues a job; or, for an {@code Idempotency-Key} a kept job
	 * was submitted with, answers that job again if the request is the same. A replay is
	 * neither a submission nor a refusal in the metrics.
	 * @param idempotencyKey the {@code Idempotency-Key} header as sent, or null
	 * @throws InvalidJobException (400), CommandNotAllowedException (403),
	 * UnknownPoolException or UnknownTaskException (404), IdempotencyKeyReusedException
	 * (422), PoolFullException (429), PoolClosedException or StoreUnavailableException
	 * (503)
	 */
	public Submission submit(JobRequest request, String idempotencyKey) {
		String poolName = SubmissionValidator.poolName(request);
		String key;
		try {
			key = Idempotency.key(idempotencyKey);
		}
		catch (InvalidJobException ex) {
			events.publishEvent(new JobEvent.Rejected(poolTag(poolName), "invalid"));
			throw ex;
		}
		String digest = (key != null) ? Idempotency.digest(request) : null;
		if (key != null) {
			Optional<Job> first = store.findByIdempotencyKey(key);
			if (first.isPresent()) {
				return replay(first.get(), digest, poolName);
			}
		}
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
		if (lease != null) {
			return submitToCluster(request, poolName, validated, key, digest);
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
		Job job = new Job(JobIds.next(), poolName, request, validated.timeout(), Instant.now(), key, digest,
				validated.retry());
		try {
			store.insert(job);
		}
		catch (IdempotencyKeyTakenException ex) {
			// A concurrent submission with the same key was stored first.
			reservation.release();
			return replay(store.findByIdempotencyKey(key).orElseThrow(() -> ex), digest, poolName);
		}
		catch (RuntimeException ex) {
			reservation.release();
			events.publishEvent(new JobEvent.Rejected(poolName, "store_unavailable"));
			throw ex;
		}
		events.publishEvent(new JobEvent.Submitted(poolName));
		dispatch(job, validated, reservation);
		return new Submission(job, false);
	}

	/** The label every job of a batch carries: the batch's id. */
	public static final String BATCH_LABEL = "batch";

	/**
	 * Validates, stores and queues a batch of jobs, all of them or none: every job is
	 * checked first (a problem names a field by its job's index, such as
	 * {@code jobs[3].command}, or carries the job's {@code index}), then a place for each
	 * is reserved in its pool (429 when the batch does not fit), then all are stored in
	 * one transaction. Each job carries the label {@value #BATCH_LABEL} with the batch's
	 * id. A refused batch counts each of its jobs as refused.
	 * @throws InvalidJobException (400), CommandNotAllowedException (403),
	 * UnknownPoolException or UnknownTaskException (404), PoolFullException (429),
	 * PoolClosedException or StoreUnavailableException (503)
	 */
	public Batch submitBatch(List<JobRequest> requests) {
		try {
			validator.checkBatchSize(requests.size());
		}
		catch (InvalidJobException ex) {
			rejectAll(requests, "invalid");
			throw ex;
		}
		String batch = JobIds.next();
		List<SubmissionValidator.Validated> checked = new java.util.ArrayList<>(requests.size());
		Map<String, String> errors = new java.util.LinkedHashMap<>();
		for (int i = 0; i < requests.size(); i++) {
			JobRequest request = requests.get(i);
			String prefix = "jobs[" + i + "].";
			String labelsProblem = validator.batchLabelsProblem(request.labels());
			if (labelsProblem != null) {
				errors.put(prefix + "labels", labelsProblem);
			}
			try {
				checked.add(validator.validate(request, SubmissionValidator.poolName(request)));
			}
			catch (InvalidJobException ex) {
				if (ex.getBody().getProperties() != null
						&& ex.getBody().getProperties().get("errors") instanceof Map<?, ?> fields) {
					fields.forEach((field, message) -> errors.put(prefix + field, String.valueOf(message)));
				}
				else {
					errors.put(prefix.substring(0, prefix.length() - 1), reason(ex));
				}
			}
			catch (CommandNotAllowedException | UnknownPoolException | UnknownTaskException ex) {
				rejectAll(requests, (ex instanceof CommandNotAllowedException) ? "forbidden" : "invalid");
				ex.getBody().setProperty("index", i);
				throw ex;
			}
		}
		if (!errors.isEmpty()) {
			rejectAll(requests, "invalid");
			throw new InvalidJobException(errors);
		}
		Instant now = Instant.now();
		List<Job> jobs = new java.util.ArrayList<>(requests.size());
		for (int i = 0; i < requests.size(); i++) {
			JobRequest request = requests.get(i);
			Map<String, String> labels = new java.util.TreeMap<>(
					(request.labels() != null) ? request.labels() : Map.of());
			labels.put(BATCH_LABEL, batch);
			JobRequest labelled = new JobRequest(request.pool(), request.command(), request.task(), request.params(),
					request.stdin(), request.env(), request.workingDirectory(), request.timeout(), request.daemon(),
					labels, request.limits(), request.retry());
			jobs.add(new Job(JobIds.next(), checked.get(i).pool().name(), labelled, checked.get(i).timeout(), now, null,
					null, checked.get(i).retry()));
		}
		if (lease != null) {
			submitBatchToCluster(requests, checked, jobs);
		}
		else {
			submitBatchHere(requests, checked, jobs);
		}
		return new Batch(batch, jobs);
	}

	private void submitBatchHere(List<JobRequest> requests, List<SubmissionValidator.Validated> checked,
			List<Job> jobs) {
		List<WorkerPool.Reservation> reservations = new java.util.ArrayList<>(jobs.size());
		try {
			for (SubmissionValidator.Validated validated : checked) {
				reservations.add(validated.pool().reserve());
			}
		}
		catch (PoolFullException ex) {
			reservations.forEach(WorkerPool.Reservation::release);
			rejectAll(requests, "queue_full");
			ex.getBody()
				.setDetail("The batch of " + jobs.size() + " jobs does not fit: pool '"
						+ checked.get(reservations.size()).pool().name() + "' has room for fewer of them");
			throw ex;
		}
		catch (PoolClosedException ex) {
			reservations.forEach(WorkerPool.Reservation::release);
			rejectAll(requests, "shutting_down");
			throw ex;
		}
		try {
			store.insertAll(jobs);
		}
		catch (RuntimeException ex) {
			reservations.forEach(WorkerPool.Reservation::release);
			rejectAll(requests, "store_unavailable");
			throw ex;
		}
		for (int i = 0; i < jobs.size(); i++) {
			events.publishEvent(new JobEvent.Submitted(jobs.get(i).pool()));
			dispatch(jobs.get(i), checked.get(i), reservations.get(i));
		}
	}

	/**
	 * Cluster mode: the whole batch goes into the shared queue, within each pool's
	 * queue-capacity across the cluster, and this node claims what it has slots for.
	 */
	private void submitBatchToCluster(List<JobRequest> requests, List<SubmissionValidator.Validated> checked,
			List<Job> jobs) {
		Map<String, WorkerPool> pools = new java.util.TreeMap<>();
		checked.forEach((validated) -> pools.put(validated.pool().name(), validated.pool()));
		Map<String, Integer> capacities = new java.util.TreeMap<>();
		try {
			for (WorkerPool pool : pools.values()) {
				pool.checkOpen();
				capacities.put(pool.name(), pool.config().queueCapacity());
			}
		}
		catch (PoolClosedException ex) {
			rejectAll(requests, "shutting_down");
			throw ex;
		}
		String full;
		try {
			full = store.admitAll(jobs, capacities);
		}
		catch (RuntimeException ex) {
			rejectAll(requests, "store_unavailable");
			throw ex;
		}
		if (full != null) {
			rejectAll(requests, "queue_full");
			PoolFullException refusal = pools.get(full).refuseFull();
			refusal.getBody()
				.setDetail("The batch of " + jobs.size() + " jobs does not fit: pool '" + full
						+ "' has room for fewer of them across the cluster");
			throw refusal;
		}
		jobs.forEach((job) -> events.publishEvent(new JobEvent.Submitted(job.pool())));
		pools.values().forEach((pool) -> claim(pool, null, ClaimTrigger.SUBMIT));
	}

	/** Counts each job of a refused batch as refused, with {@code reason}. */
	private void rejectAll(List<JobRequest> requests, String reason) {
		for (JobRequest request : requests) {
			events.publishEvent(new JobEvent.Rejected(poolTag(SubmissionValidator.poolName(request)), reason));
		}
	}

	/** A stored batch: its id (the {@value #BATCH_LABEL} label) and its jobs in order. */
	public record Batch(String id, List<Job> jobs) {
	}

	/**
	 * The job first submitted with a key, as it is now, when the request is the same.
	 * @throws IdempotencyKeyReusedException (422) when it is not
	 */
	private Submission replay(Job first, String digest, String poolName) {
		if (!digest.equals(first.requestDigest())) {
			events.publishEvent(new JobEvent.Rejected(poolTag(poolName), "invalid"));
			throw new IdempotencyKeyReusedException(first.id());
		}
		Job live = active.get(first.id());
		// Not active: it has ended since it was read (its end is stored before it leaves
		// active), or it is still on its way there.
		return new Submission((live != null) ? live : store.find(first.id()).orElse(first), true);
	}

	/**
	 * Cluster mode: stores the job in the shared queue, within the pool's queue-capacity
	 * across the cluster, and claims it here at once when this node has a free slot;
	 * otherwise the nodes that serve the pool are notified.
	 */
	private Submission submitToCluster(JobRequest request, String poolName, SubmissionValidator.Validated validated,
			String key, String digest) {
		WorkerPool pool = validated.pool();
		try {
			pool.checkOpen();
		}
		catch (PoolClosedException ex) {
			events.publishEvent(new JobEvent.Rejected(poolName, "shutting_down"));
			throw ex;
		}
		Instant now = Instant.now();
		Job job = new Job(JobIds.next(), poolName, request, validated.timeout(), now, key, digest, validated.retry());
		WorkerPool.Reservation slot = lease.isHeld() ? pool.reserveFreeSlot() : null;
		JobStore.Admission admission;
		try {
			admission = store.admit(job, pool.config().queueCapacity(), (slot != null) ? lease.nodeId() : null, now);
		}
		catch (IdempotencyKeyTakenException ex) {
			// A concurrent submission with the same key was stored first.
			release(slot);
			return replay(store.findByIdempotencyKey(key).orElseThrow(() -> ex), digest, poolName);
		}
		catch (RuntimeException ex) {
			release(slot);
			events.publishEvent(new JobEvent.Rejected(poolName, "store_unavailable"));
			throw ex;
		}
		switch (admission) {
			case FULL -> {
				release(slot);
				events.publishEvent(new JobEvent.Rejected(poolName, "queue_full"));
				throw pool.refuseFull();
			}
			case STARTED -> {
				synchronized (job) {
					job.start(lease.nodeId(), now);
				}
				events.publishEvent(new JobEvent.Submitted(poolName));
				dispatch(job, validated, slot, true);
			}
			case QUEUED -> {
				events.publishEvent(new JobEvent.Submitted(poolName));
				if (slot != null) {
					// Older jobs wait: the slot goes to the oldest.
					release(slot);
					claim(pool, job, ClaimTrigger.SUBMIT);
				}
			}
		}
		return new Submission(job, false);
	}

	/**
	 * Cluster mode: claims as many of {@code pool}'s oldest queued jobs as it has free
	 * slots and starts them. {@code known} is a job this node holds in memory already
	 * (just submitted here): when it is claimed, that object runs, so that its waiters
	 * see it end.
	 */
	void claim(WorkerPool pool, Job known, ClaimTrigger trigger) {
		claims.claim(pool, known, trigger);
	}

	/** Cluster mode: asks for a claim on every pool (the polling fallback). */
	public void claimAll(ClaimTrigger trigger) {
		if (claims != null) {
			router.names().forEach((name) -> claims.wake(router.pool(name), trigger));
		}
	}

	/**
	 * Cluster mode: the nodes were told that {@code pool} has queued jobs; claims here if
	 * this node serves it and has a free slot.
	 */
	public void queued(String pool, ClaimTrigger trigger) {
		if (claims != null && router.exists(pool)) {
			claims.wake(router.pool(pool), trigger);
		}
	}

	/**
	 * Cluster mode: runs jobs this node claimed (called by {@link Claims} with the pool's
	 * claim lock held, so that no other claim takes the same slots).
	 */
	void dispatchClaimed(Job job, WorkerPool.Reservation slot) {
		if (!running) {
			slot.release();
			store.unclaim(job.id(), lease.nodeId());
			return;
		}
		SubmissionValidator.Validated validated;
		try {
			validated = validator.validateAccepted(job.request(), job.pool());
		}
		catch (ErrorResponseException ex) {
			slot.release();
			String why = reason(ex);
			synchronized (job) {
				job.cancel(ExecutionOutcome.notDispatched("node " + lease.nodeId() + " could not run it: " + why),
						Instant.now());
				recordHeld(job);
			}
			log.warn("Claimed job {} could not be run on this node: {}", job.id(), why);
			return;
		}
		dispatch(job, validated, slot);
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

	/** The pool a request names, or the default pool for its kind. */
	public static String poolOf(JobRequest request) {
		return SubmissionValidator.poolName(request);
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
		synchronized (job) {
			dispatchAccepted(job, "again after a restart");
		}
	}

	/**
	 * Dispatches a job accepted earlier ({@code occasion} says when); it ends cancelled,
	 * with the reason, when its pool or command is no longer allowed, and stays queued in
	 * the store when its pool is closing (the service stops). The caller holds the job's
	 * monitor.
	 */
	private void dispatchAccepted(Job job, String occasion) {
		SubmissionValidator.Validated validated;
		WorkerPool.Reservation reservation;
		try {
			validated = validator.validateAccepted(job.request(), job.pool());
			reservation = validated.pool().reserveAccepted();
		}
		catch (PoolClosedException ex) {
			// The service is stopping: the job stays queued for the next start.
			return;
		}
		catch (ErrorResponseException ex) {
			String why = reason(ex);
			job.cancel(ExecutionOutcome.notDispatched("could not be dispatched " + occasion + ": " + why),
					Instant.now());
			record(job);
			active.remove(job.id(), job);
			events.publishEvent(new JobEvent.Finished(job.pool(), JobState.CANCELLED, Duration.ZERO));
			log.warn("Job {} could not be dispatched {}: {}", job.id(), occasion, why);
			return;
		}
		dispatch(job, validated, reservation);
	}

	/** Why a job could not be dispatched, as the refusal's problem detail says it. */
	private static String reason(ErrorResponseException ex) {
		return (ex.getBody().getDetail() != null) ? ex.getBody().getDetail() : ex.getMessage();
	}

	private void dispatch(Job job, SubmissionValidator.Validated validated, WorkerPool.Reservation reservation) {
		dispatch(job, validated, reservation, false);
	}

	/**
	 * Hands a job to its pool; {@code startStored} when its start is in the store already
	 * (cluster mode: it was stored as started on this node).
	 */
	private void dispatch(Job job, SubmissionValidator.Validated validated, WorkerPool.Reservation reservation,
			boolean startStored) {
		active.put(job.id(), job);
		Recorder recorder = new Recorder(job, startStored);
		recorder.execution = reservation.bind(validated.spec(job.id(), job.attempt(), job.request()), recorder);
		executions.put(job.id(), recorder.execution);
		CompletableFuture<Void> watched = claimedHere.remove(job.id());
		if (watched != null) {
			watched.complete(null);
		}
		boolean cancelled = cancelsAhead.remove(job.id()) != null;
		if (cancelled) {
			executions.get(job.id()).terminate(TerminationReason.CANCELLED);
		}
		reservation.submit();
	}

	private static void release(WorkerPool.Reservation slot) {
		if (slot != null) {
			slot.release();
		}
	}

	/**
	 * Cluster mode: waiters on jobs this node does not hold, woken when it claims one of
	 * them, so that they wait on the job itself from then on.
	 */
	private final Map<String, CompletableFuture<Void>> claimedHere = new ConcurrentHashMap<>();

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
		return await(get(id), wait);
	}

	/**
	 * The job once it has ended, or as it is when {@code wait} has elapsed: {@code job}
	 * itself while this node runs it, otherwise as the store has it (another node of the
	 * cluster runs it, and the store is read every {@link #REMOTE_POLL}). Waiting never
	 * affects the job, and every waiter is released once the pools have shut down, so
	 * that a long poll on a job that stays queued does not hold up the web server's
	 * graceful shutdown.
	 */
	public Job await(Job job, Duration wait) {
		long deadline = System.nanoTime() + Math.max(0, Math.min(wait.toNanos(), Duration.ofDays(1).toNanos()));
		Job current = job;
		while (!current.whenTerminal().isDone() && !closed.isDone()) {
			long left = deadline - System.nanoTime();
			if (left <= 0) {
				break;
			}
			Job local = active.get(current.id());
			boolean here = local != null || lease == null;
			current = (local != null) ? local : current;
			long slice = here ? left : Math.min(left, REMOTE_POLL.toNanos());
			CompletableFuture<Void> claimed = here ? closed
					: claimedHere.computeIfAbsent(current.id(), (id) -> new CompletableFuture<>());
			if (!here && active.containsKey(current.id())) {
				// Claimed here between the two looks.
				continue;
			}
			try {
				CompletableFuture.anyOf(current.whenTerminal(), closed, claimed).get(slice, TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException ex) {
				// The slice elapsed: look again.
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			catch (ExecutionException ex) {
				throw new IllegalStateException(ex);
			}
			if (!here && !current.whenTerminal().isDone() && active.get(current.id()) == null) {
				current = store.find(current.id()).orElse(current);
			}
		}
		CompletableFuture<Void> watch = claimedHere.get(job.id());
		if (watch != null && !watch.isDone()) {
			// Another waiter on the same job falls back to reading the store.
			claimedHere.remove(job.id(), watch);
		}
		return current;
	}

	/**
	 * The jobs once all have ended, or as they are when {@code wait} has elapsed, in
	 * order. Each is waited for in turn within one deadline; a job another node runs is
	 * read from the store when its turn comes, so one that ended meanwhile costs one
	 * read.
	 */
	public List<Job> awaitAll(List<Job> jobs, Duration wait) {
		long deadline = System.nanoTime() + Math.max(0, Math.min(wait.toNanos(), Duration.ofDays(1).toNanos()));
		List<Job> current = new java.util.ArrayList<>(jobs);
		for (int i = 0; i < current.size(); i++) {
			Job job = current.get(i);
			if (!job.whenTerminal().isDone() && !active.containsKey(job.id()) && lease != null) {
				job = store.find(job.id()).orElse(job);
			}
			long left = deadline - System.nanoTime();
			current.set(i, (job.state().isTerminal() || left <= 0) ? job : await(job, Duration.ofNanos(left)));
		}
		return current;
	}

	/** How often a waiter on a job another node runs reads the store. */
	static final Duration REMOTE_POLL = Duration.ofMillis(200);

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
		// However its current attempt ends now, it is not retried.
		job.requestCancel();
		Execution execution = executions.get(id);
		if (execution == null && lease != null && !job.state().isTerminal()) {
			return cancelElsewhere(job);
		}
		if (execution == null && cancelBeforeNextAttempt(job)) {
			return job;
		}
		execution = (execution != null) ? execution : executions.get(id);
		if (execution == null || job.state().isTerminal()) {
			throw new JobFinishedException(id, job.state());
		}
		execution.terminate(TerminationReason.CANCELLED);
		Job now = await(job, CANCEL_WAIT);
		if (now.state() == JobState.QUEUED && now.nextAttemptAt() != null) {
			// Its attempt ended, and was retried, just before the cancel reached it.
			if (lease == null) {
				cancelBeforeNextAttempt(now);
			}
			else {
				Optional<Job> cancelled = cancelUnclaimed(now);
				if (cancelled.isPresent()) {
					return cancelled.get();
				}
			}
		}
		return now;
	}

	/**
	 * Cancels a job that waits here for its next attempt (not in a pool meanwhile); false
	 * when it does not wait (any longer).
	 */
	private boolean cancelBeforeNextAttempt(Job job) {
		synchronized (job) {
			if (executions.containsKey(job.id()) || job.state() != JobState.QUEUED || job.nextAttemptAt() == null) {
				return false;
			}
			job.cancel(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED), Instant.now());
			record(job);
		}
		active.remove(job.id(), job);
		events.publishEvent(new JobEvent.Finished(job.pool(), JobState.CANCELLED, Duration.ZERO));
		return true;
	}

	/**
	 * Runs {@code job}, which waits for its next attempt, when that is due: here, in the
	 * embedded store's single service (it stays active meanwhile, so that its waiters
	 * wait on it); in a cluster the job waits in the shared queue, and this node looks
	 * for it then (any node with a free slot may claim it).
	 */
	void awaitNextAttempt(Job job) {
		Instant at = job.nextAttemptAt();
		if (at == null) {
			return;
		}
		if (lease == null) {
			active.put(job.id(), job);
			schedule(at, () -> nextAttempt(job));
		}
		else {
			nextAttemptDue(job.pool(), at);
		}
	}

	/**
	 * Cluster mode: a job of {@code pool} waits in the shared queue until {@code at};
	 * this node looks for it then (the others at their next poll).
	 */
	public void nextAttemptDue(String pool, Instant at) {
		if (claims != null && router.exists(pool)) {
			schedule(at, () -> claims.wake(router.pool(pool), ClaimTrigger.RETRY));
		}
	}

	private void schedule(Instant at, Runnable action) {
		long delay = Math.max(0, Duration.between(Instant.now(), at).toNanos());
		try {
			retries.schedule(() -> {
				try {
					action.run();
				}
				catch (RuntimeException ex) {
					log.warn("A job's next attempt could not be started", ex);
				}
			}, delay, TimeUnit.NANOSECONDS);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// Stopping: the job stays queued in the store for the next start.
		}
	}

	/**
	 * The next attempt of a job that waited here: it goes to its pool like a job an
	 * earlier run left queued. The job's monitor is held until it is in the pool, so that
	 * a cancel finds it either waiting or in the pool.
	 */
	private void nextAttempt(Job job) {
		synchronized (job) {
			if (job.state() != JobState.QUEUED || job.nextAttemptAt() == null || executions.containsKey(job.id())) {
				return;
			}
			dispatchAccepted(job, "for its next attempt");
		}
	}

	/** Starts the next attempts of jobs that wait for one when they are due. */
	private final java.util.concurrent.ScheduledExecutorService retries = java.util.concurrent.Executors
		.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jobexec-retries").daemon().factory());

	/**
	 * Cluster mode: cancels the job in the store if it waits there unclaimed (queued, or
	 * waiting for its next attempt); empty when it does not.
	 */
	private Optional<Job> cancelUnclaimed(Job job) {
		Optional<Job> cancelled = store.cancelWaiting(job.id(), Instant.now());
		cancelled.ifPresent(
				(ended) -> events.publishEvent(new JobEvent.Finished(job.pool(), JobState.CANCELLED, Duration.ZERO)));
		return cancelled;
	}

	/**
	 * Cluster mode: cancels a job this node does not run. A job no node has claimed is
	 * cancelled in the store at once; otherwise the node that holds it is asked (through
	 * the store) and runs the ladder.
	 */
	private Job cancelElsewhere(Job job) {
		Optional<Job> cancelled = cancelUnclaimed(job);
		if (cancelled.isPresent()) {
			return cancelled.get();
		}
		if (!store.requestCancel(job.id())) {
			Job now = store.find(job.id()).orElse(job);
			throw new JobFinishedException(job.id(), now.state());
		}
		// Its attempt may have ended, and been retried, since the first look: then it
		// waits in the queue, where it is cancelled at once.
		cancelled = cancelUnclaimed(job);
		if (cancelled.isPresent()) {
			return cancelled.get();
		}
		Execution local = executions.get(job.id());
		if (local != null) {
			// Claimed here meanwhile.
			local.terminate(TerminationReason.CANCELLED);
		}
		return await(store.find(job.id()).orElse(job), CANCEL_WAIT);
	}

	/**
	 * Cluster mode: clients asked other nodes to cancel these jobs, which this node
	 * holds.
	 */
	public void cancelRequested(Collection<String> ids) {
		for (String id : ids) {
			Job job = active.get(id);
			if (job != null) {
				job.requestCancel();
			}
			Execution execution = executions.get(id);
			if (execution != null) {
				execution.terminate(TerminationReason.CANCELLED);
			}
			else {
				// Told before its claim here is dispatched: applied at the dispatch.
				cancelsAhead.put(id, System.nanoTime());
			}
		}
		long stale = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);
		cancelsAhead.values().removeIf((at) -> at - stale < 0);
	}

	/**
	 * Cancel requests for jobs this node may be about to dispatch, with when they came.
	 */
	private final Map<String, Long> cancelsAhead = new ConcurrentHashMap<>();

	/** Cluster mode: the jobs this node holds now. */
	public Set<String> held() {
		return Set.copyOf(executions.keySet());
	}

	/**
	 * Cluster mode: jobs the store says this node holds but that it does not run, seen at
	 * the last reconciliation; settled when seen again, so that a claim or a start on its
	 * way is never taken for one.
	 */
	private final Set<String> strays = ConcurrentHashMap.newKeySet();

	/**
	 * Cluster mode: brings the store in line with what this node runs, after a renewal. A
	 * job the store says this node holds, but that no execution here has (a claim whose
	 * answer was lost, a start that was stored although it seemed to fail, a claim given
	 * back while the store was away), is given back to the queue if it had not started,
	 * or lost if it had: nothing of it runs here.
	 */
	public void reconcile() {
		Set<String> seen = new java.util.HashSet<>();
		Set<String> pending = new java.util.HashSet<>();
		unrecorded.forEach((job) -> pending.add(job.id()));
		for (Job stored : store.heldBy(lease.nodeId())) {
			if (executions.containsKey(stored.id()) || pending.contains(stored.id())) {
				continue;
			}
			seen.add(stored.id());
			if (!strays.contains(stored.id())) {
				continue;
			}
			if (stored.state() == JobState.QUEUED) {
				store.unclaim(stored.id(), lease.nodeId());
				log.warn("Job {} was held by this node without running here: given back to the queue", stored.id());
			}
			else {
				boolean retried;
				synchronized (stored) {
					retried = stored.loseOrRetry(Instant.now(), "its node (" + lease.nodeId() + ") lost track of it "
							+ "after a failed write; it may have started and been ended");
					recordHeld(stored);
				}
				if (retried) {
					events.publishEvent(
							new JobEvent.Retried(stored.pool(), JobState.LOST, TerminationReason.SERVICE_LOST, null));
					awaitNextAttempt(stored);
				}
				else {
					events.publishEvent(new JobEvent.Finished(stored.pool(), JobState.LOST, Duration.ZERO));
				}
				log.warn("Job {} was stored as running on this node without running here: {}", stored.id(),
						retried ? "lost, to be retried" : "lost");
			}
		}
		strays.retainAll(seen);
		strays.addAll(seen);
	}

	/**
	 * Cluster mode: this node lost its lease, so its jobs may be settled by others at any
	 * moment: each is terminated (its processes are killed by the crash guard in any
	 * case), ends lost, and writes nothing unless the node still holds it.
	 */
	public void fence() {
		// What could not be stored stays to be retried: if the database comes back before
		// the lease expires there, the node holds its lease again and the writes land;
		// otherwise they are dropped once the expiry is known (dropUnrecorded).
		for (Map.Entry<String, Execution> entry : executions.entrySet()) {
			Job job = active.get(entry.getKey());
			if (job != null) {
				fenced.add(job.id());
			}
			entry.getValue().terminate(TerminationReason.SERVICE_LOST);
		}
	}

	/** Jobs whose outcome is a loss: their node lost its lease while they ran. */
	private final Set<String> fenced = ConcurrentHashMap.newKeySet();

	/**
	 * Cluster mode: retries the state changes that could not be stored; call after the
	 * lease was renewed.
	 */
	public void retryUnrecorded() {
		for (Job job : List.copyOf(unrecorded)) {
			unrecorded.remove(job);
			synchronized (job) {
				recordHeld(job);
			}
		}
	}

	/**
	 * Cluster mode: gives up the state changes that could not be stored; call once the
	 * database let the lease expire, when the cluster settles the jobs instead.
	 */
	public void dropUnrecorded() {
		if (!unrecorded.isEmpty()) {
			log.warn("{} job state change(s) of an expired lease not stored: the cluster settled those jobs",
					unrecorded.size());
			unrecorded.clear();
		}
	}

	@Override
	public void start() {
		running = true;
		if (claims != null) {
			claims.start();
		}
	}

	/**
	 * Releases every waiting client and, in cluster mode, stops the claimer (which has
	 * found no free slot since the pools closed); runs after the pools have drained and
	 * the reaper has cleared up.
	 */
	@Override
	public void stop() {
		running = false;
		if (claims != null) {
			claims.stop();
		}
		retries.shutdownNow();
		if (lease == null) {
			endDaemonsWaitingForTheirNextAttempt();
		}
		closed.complete(null);
	}

	/**
	 * Cluster mode: the node claims nothing more once it begins to stop, before the drain
	 * (which stops first) waits for its running jobs. A job claimed after the drain had
	 * ended ran on a node about to leave the cluster, and was settled LOST.
	 */
	@EventListener(ContextClosedEvent.class)
	void stopClaiming() {
		if (claims != null) {
			claims.stop();
		}
	}

	/**
	 * At a graceful stop, the jobs that wait here for their next attempt: a daemon job
	 * ends as a queued daemon job does ({@code CANCELLED}, {@code SHUTDOWN}); the others
	 * stay queued in the store, and the next start runs them when they are due.
	 */
	private void endDaemonsWaitingForTheirNextAttempt() {
		for (Job job : active.values()) {
			boolean ended = false;
			synchronized (job) {
				if (job.state() == JobState.QUEUED && job.nextAttemptAt() != null && !executions.containsKey(job.id())
						&& Boolean.TRUE.equals(job.request().daemon())) {
					job.cancel(ExecutionOutcome.cancelledWhileQueued(TerminationReason.SHUTDOWN), Instant.now());
					record(job);
					ended = true;
				}
			}
			if (ended) {
				active.remove(job.id(), job);
				events.publishEvent(new JobEvent.Finished(job.pool(), JobState.CANCELLED, Duration.ZERO));
			}
		}
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

	/**
	 * Cluster mode: stores a state change only while this node holds the job and its
	 * lease. A change that cannot be stored now is retried after the next renewal; one
	 * the store refuses because the node no longer holds the job is dropped: the cluster
	 * has settled it.
	 */
	private boolean recordHeld(Job job) {
		try {
			if (store.updateHeld(job, lease.nodeId())) {
				return true;
			}
			log.warn("Job {} is {} here, but this node no longer holds it: not recorded (the cluster settled it)",
					job.id(), job.state());
			events.publishEvent(new JobEvent.Fenced(job.pool()));
		}
		catch (StoreUnavailableException ex) {
			unrecorded.add(job);
		}
		return false;
	}

	/**
	 * What a submission answered with: a new job, or ({@code replayed}) the one an
	 * earlier submission with the same {@code Idempotency-Key} was accepted as.
	 */
	public record Submission(Job job, boolean replayed) {
	}

	/** Records what the pool reports about one job. */
	private final class Recorder implements ExecutionListener {

		private final Job job;

		/**
		 * Cluster mode: whether the start was stored (so that the process may run); a job
		 * whose start was not stored ends without a trace of this node.
		 */
		private volatile boolean startStored;

		/** The execution this records; set once it is bound, before it is submitted. */
		private Execution execution;

		/**
		 * Since when the job has waited to start: its submission, or the time its next
		 * attempt was due.
		 */
		private final Instant queuedSince;

		Recorder(Job job, boolean startStored) {
			this.job = job;
			this.startStored = startStored;
			Instant due = job.nextAttemptAt();
			this.queuedSince = (due != null) ? due : job.submittedAt();
		}

		/** Cluster mode: the start could not be stored, so the job did not start here. */
		private volatile boolean launchRefused;

		/**
		 * Cluster mode: stores the start before anything runs, so that a job whose start
		 * could not be stored never runs, and a job that ran is never queued again.
		 */
		@Override
		public boolean launching(Instant at) {
			if (lease == null) {
				return true;
			}
			if (startStored) {
				// Stored as started with the submission: it runs only while the lease is
				// held, and is otherwise settled as lost with the node's other jobs.
				if (lease.isHeld()) {
					return true;
				}
				launchRefused = true;
				return false;
			}
			synchronized (job) {
				job.start(lease.nodeId(), at);
			}
			// Retried while the lease is held: a store that restarts costs the job a late
			// start, not a start that is never recorded. Readers are not held up
			// meanwhile: they see the job running a little before the store does.
			for (int attempt = 1; lease.isHeld(); attempt++) {
				try {
					if (store.updateHeld(job, lease.nodeId())) {
						startStored = true;
						return true;
					}
					log.warn("Job {} was claimed by this node but is no longer its own: not started", job.id());
					launchRefused = true;
					return false;
				}
				catch (StoreUnavailableException ex) {
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(500, 50L * attempt)));
				}
			}
			log.warn("Job {} not started: its start could not be stored while this node held its lease", job.id());
			launchRefused = true;
			return false;
		}

		@Override
		public void started(ExecutionStart start) {
			// Readers of the job wait on its monitor, so they see the change only once it
			// is stored.
			synchronized (job) {
				if (lease == null) {
					job.start(start.pid(), start.pidStartTicks(), processes.instance(), start.at());
					record(job);
				}
				else if (start.pid() != null) {
					job.spawned(start.pid(), start.pidStartTicks());
					recordHeld(job);
				}
			}
			events.publishEvent(new JobEvent.Started(job.pool(), Duration.between(queuedSince, start.at())));
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			finished(null, outcome);
		}

		@Override
		public void startedAndFinished(ExecutionStart start, ExecutionOutcome outcome) {
			if (lease != null) {
				// Cluster mode stored the start before the process ran; its pid is
				// stored on its own, as a running job's is.
				ExecutionListener.super.startedAndFinished(start, outcome);
				return;
			}
			finished(start, outcome);
		}

		/**
		 * Stores the end, and with it the start ({@code start} not null) of a job that
		 * ended before its start was stored: one write for both.
		 */
		private void finished(ExecutionStart start, ExecutionOutcome outcome) {
			Instant now = Instant.now();
			boolean retried = false;
			try {
				synchronized (job) {
					if (lease == null) {
						if (start != null) {
							job.start(start.pid(), start.pidStartTicks(), processes.instance(), start.at());
						}
						retried = job.finishOrRetry(outcome, now);
						record(job);
					}
					else {
						retried = finishHeld(outcome, now);
					}
				}
			}
			finally {
				executions.remove(job.id(), execution);
				if (!retried || lease != null) {
					active.remove(job.id(), job);
				}
				fenced.remove(job.id());
			}
			if (start != null) {
				events.publishEvent(new JobEvent.Started(job.pool(), Duration.between(queuedSince, start.at())));
			}
			if (outcome.terminationReason() == TerminationReason.SHUTDOWN) {
				log.info("Job {} ended as {} by the shutdown", job.id(), job.state());
			}
			if (lease != null) {
				claims.wake(router.pool(job.pool()), ClaimTrigger.SLOT);
				if (launchRefused) {
					// Not ended: given back to the queue, where it is counted when it
					// ends.
					return;
				}
			}
			if (retried) {
				events.publishEvent(new JobEvent.Retried(job.pool(), JobState.valueOf(outcome.status().name()),
						outcome.terminationReason(), outcome.usage()));
				log.info("Job {} attempt {} ended {}; attempt {} at {}", job.id(), job.attempt() - 1, outcome.status(),
						job.attempt(), job.nextAttemptAt());
				awaitNextAttempt(job);
				return;
			}
			Instant from = (job.startedAt() != null) ? job.startedAt() : job.submittedAt();
			Job.Persisted ended = job.persisted();
			events.publishEvent(new JobEvent.Finished(job.pool(), ended.state(), Duration.between(from, now),
					ended.terminationReason(), ended.usage()));
		}

		/** Returns whether the job waits for its next attempt. */
		private boolean finishHeld(ExecutionOutcome outcome, Instant now) {
			boolean fencedBeforeStart = !startStored && outcome.terminationReason() == TerminationReason.SERVICE_LOST;
			if (launchRefused || fencedBeforeStart) {
				// It never ran: the queue gets it back (or the cluster does, if this node
				// dies first).
				try {
					store.unclaim(job.id(), lease.nodeId());
				}
				catch (StoreUnavailableException ex) {
					log.warn("Job {} stays claimed by this node until the store can be written", job.id());
				}
				return false;
			}
			boolean retried;
			if (startStored && fenced.contains(job.id())) {
				// Stored while the database still counts the lease; otherwise the node
				// that settles the job applies its retry policy alike.
				retried = job.loseOrRetry(now,
						"its node (" + lease.nodeId() + ") lost its lease while the job was running");
			}
			else {
				retried = job.finishOrRetry(outcome, now);
			}
			recordHeld(job);
			return retried;
		}

	}

}
