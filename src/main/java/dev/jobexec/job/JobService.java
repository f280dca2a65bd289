package dev.jobexec.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.PoolClosedException;
import dev.jobexec.execution.PoolFullException;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.execution.UnknownPoolException;
import dev.jobexec.execution.WorkerPool;
import dev.jobexec.execution.process.CommandNotAllowedException;
import dev.jobexec.execution.reaper.JobProcesses;
import dev.jobexec.execution.reaper.ProcessTable;
import dev.jobexec.execution.reaper.Reaper;
import dev.jobexec.execution.process.CommandPolicy;
import dev.jobexec.execution.process.EnvironmentPolicy;
import dev.jobexec.execution.thread.TaskRegistry;
import dev.jobexec.execution.thread.UnknownTaskException;
import lombok.RequiredArgsConstructor;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;
import org.springframework.web.ErrorResponseException;

/**
 * The lifecycle of jobs: validates a submission, stores it, hands it to its pool, and
 * records every state change the pool reports.
 */
@Slf4j
@Service
@RequiredArgsConstructor
public class JobService implements SmartLifecycle {

	/** How long a cancel waits for the ladder before answering 202 instead of 200. */
	private static final Duration CANCEL_WAIT = Duration.ofSeconds(1);

	private final PoolRouter router;

	private final TaskRegistry tasks;

	private final CommandPolicy commands;

	private final EnvironmentPolicy environment;

	private final JobLimits limits;

	private final JobStore store;

	private final ApplicationEventPublisher events;

	private final JobProcesses processes;

	private final Reaper reaper;

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
	 * PoolClosedException (503)
	 */
	public Job submit(JobRequest request) {
		String poolName = poolName(request);
		Validated validated;
		try {
			validated = validate(request, poolName);
		}
		catch (CommandNotAllowedException ex) {
			events.publishEvent(new JobEvent.Rejected(poolName, "forbidden"));
			throw ex;
		}
		catch (InvalidJobException | UnknownPoolException | UnknownTaskException ex) {
			events.publishEvent(new JobEvent.Rejected(router.exists(poolName) ? poolName : "unknown", "invalid"));
			throw ex;
		}
		WorkerPool pool = validated.pool();
		WorkerPool.Reservation reservation;
		try {
			reservation = pool.reserve();
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
	 * Settles what an earlier run left: jobs it was running are lost (and any process of
	 * theirs still alive is killed), jobs it had queued are dispatched again in
	 * submission order.
	 */
	void recover() {
		Instant now = Instant.now();
		List<Job> running = store.inState(JobState.RUNNING);
		for (Job job : running) {
			Job.Persisted persisted = job.persisted();
			reaper.killLeftovers(persisted.instance(), persisted.pid(), persisted.pidStartTicks());
			synchronized (job) {
				job.lose(now);
				store.update(job);
			}
			events.publishEvent(new JobEvent.Finished(job.pool(), JobState.LOST, Duration.ZERO));
		}
		List<Job> queued = store.inState(JobState.QUEUED);
		for (Job job : queued) {
			redispatch(job);
		}
		if (!running.isEmpty() || !queued.isEmpty()) {
			log.info("Recovered the job store: {} job(s) lost while running, {} queued job(s) dispatched again",
					running.size(), queued.size());
		}
	}

	private void redispatch(Job job) {
		Validated validated;
		WorkerPool.Reservation reservation;
		try {
			validated = validate(job.request(), job.pool());
			reservation = validated.pool().reserveAccepted();
		}
		catch (ErrorResponseException ex) {
			String why = (ex.getBody().getDetail() != null) ? ex.getBody().getDetail() : ex.getMessage();
			synchronized (job) {
				job.cancel(
						new ExecutionOutcome(ExecutionOutcome.Status.CANCELLED, null, null, null,
								"could not be dispatched again after a restart: " + why, null, null, null),
						Instant.now());
				store.update(job);
			}
			log.warn("Queued job {} could not be dispatched again after a restart: {}", job.id(), why);
			return;
		}
		dispatch(job, validated, reservation);
	}

	private void dispatch(Job job, Validated validated, WorkerPool.Reservation reservation) {
		JobRequest request = job.request();
		ExecutionSpec spec = new ExecutionSpec(job.id(), validated.command(), request.task(), request.params(),
				request.stdin(), request.env(), validated.workingDirectory(), validated.timeout(),
				Boolean.TRUE.equals(request.daemon()));
		active.put(job.id(), job);
		executions.put(job.id(), reservation.bind(spec, new Listener(job)));
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
			throw new JobNotFoundException(id);
		}
		return store.find(id).orElseThrow(() -> new JobNotFoundException(id));
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
	boolean awaitTerminal(Job job, Duration wait) {
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

	private String poolName(JobRequest request) {
		if (request.pool() != null) {
			return request.pool();
		}
		return (request.task() != null && request.command() == null) ? "thread" : "process";
	}

	private Validated validate(JobRequest request, String poolName) {
		Map<String, String> errors = new LinkedHashMap<>();
		if ((request.command() == null) == (request.task() == null)) {
			errors.put("command", "give exactly one of command or task");
			throw new InvalidJobException(errors);
		}
		WorkerPool pool = router.pool(poolName);
		ExecutionProperties.Pool config = pool.config();
		boolean process = request.command() != null;
		if (process != (config.type() == PoolType.PROCESS)) {
			errors.put("pool",
					"pool '" + poolName + "' runs " + (process ? "tasks, not commands" : "commands, not tasks"));
			throw new InvalidJobException(errors);
		}
		List<String> command = null;
		Path workingDirectory = null;
		if (process) {
			command = resolveCommand(request.command(), errors);
			validateEnv(request.env(), errors);
			validateStdin(request.stdin(), errors);
			workingDirectory = resolveWorkingDirectory(config.baseDirectory(), request.workingDirectory(), errors);
		}
		else {
			for (String field : new String[] { "stdin", "env", "workingDirectory" }) {
				Object value = switch (field) {
					case "stdin" -> request.stdin();
					case "env" -> request.env();
					default -> request.workingDirectory();
				};
				if (value != null) {
					errors.put(field, "applies to process jobs only");
				}
			}
			errors.putAll(tasks.validate(request.task(), request.params()));
		}
		if (process && request.params() != null) {
			errors.put("params", "applies to task jobs only");
		}
		Duration timeout = (request.timeout() != null) ? request.timeout() : config.defaultTimeout();
		if (timeout.isNegative() || timeout.isZero()) {
			errors.put("timeout", "must be a positive ISO-8601 duration such as PT30S");
		}
		else if (timeout.compareTo(config.maxTimeout()) > 0) {
			errors.put("timeout", "exceeds the max-timeout of pool '" + poolName + "' (" + config.maxTimeout() + ")");
		}
		validateLabels(request.labels(), errors);
		if (!errors.isEmpty()) {
			throw new InvalidJobException(errors);
		}
		return new Validated(pool, command, workingDirectory, timeout);
	}

	private List<String> resolveCommand(List<String> command, Map<String, String> errors) {
		if (command.size() > limits.maxArguments()) {
			errors.put("command", "has " + command.size() + " entries; at most " + limits.maxArguments()
					+ " are allowed (jobexec.limits.max-arguments)");
			return null;
		}
		for (String argument : command) {
			if (argument.indexOf('\0') >= 0) {
				errors.put("command", "arguments must not contain NUL bytes");
				return null;
			}
			if (argument.length() > limits.maxArgumentLength()) {
				errors.put("command", "an argument is " + argument.length() + " characters long; at most "
						+ limits.maxArgumentLength() + " are allowed (jobexec.limits.max-argument-length)");
				return null;
			}
		}
		try {
			List<String> resolved = new ArrayList<>(command);
			resolved.set(0, commands.resolve(command.get(0)).toString());
			return resolved;
		}
		catch (IllegalArgumentException ex) {
			errors.put("command", ex.getMessage());
			return null;
		}
	}

	private void validateEnv(Map<String, String> env, Map<String, String> errors) {
		if (env == null) {
			return;
		}
		if (env.size() > limits.maxEnvEntries()) {
			errors.put("env", "has " + env.size() + " variables; at most " + limits.maxEnvEntries()
					+ " are allowed (jobexec.limits.max-env-entries)");
			return;
		}
		env.forEach((name, value) -> {
			String refusal = environment.refusal(name);
			if (refusal != null) {
				errors.put("env", refusal);
			}
			else if (value == null || value.indexOf('\0') >= 0) {
				errors.put("env", "the value of " + name + " must be a string without NUL bytes");
			}
			else if (value.length() > limits.maxEnvValueLength()) {
				errors.put("env", "the value of " + name + " is longer than " + limits.maxEnvValueLength()
						+ " characters (jobexec.limits.max-env-value-length)");
			}
		});
	}

	private void validateStdin(String stdin, Map<String, String> errors) {
		if (stdin != null
				&& stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limits.maxStdin().toBytes()) {
			errors.put("stdin", "is larger than " + limits.maxStdin() + " (jobexec.limits.max-stdin)");
		}
	}

	private void validateLabels(Map<String, String> labels, Map<String, String> errors) {
		if (labels == null) {
			return;
		}
		if (labels.size() > limits.maxLabels()) {
			errors.put("labels", "has " + labels.size() + " labels; at most " + limits.maxLabels()
					+ " are allowed (jobexec.limits.max-labels)");
			return;
		}
		labels.forEach((key, value) -> {
			if (key.isBlank() || key.contains(":") || value == null) {
				errors.put("labels", "keys must be non-blank without ':' and values must be strings");
			}
			else if (key.length() > limits.maxLabelKeyLength() || value.length() > limits.maxLabelValueLength()) {
				errors.put("labels", "keys may have " + limits.maxLabelKeyLength() + " and values "
						+ limits.maxLabelValueLength() + " characters (jobexec.limits.max-label-*)");
			}
			else if (key.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
				errors.put("labels", "must not contain NUL bytes");
			}
		});
	}

	private static Path resolveWorkingDirectory(Path base, String relative, Map<String, String> errors) {
		if (relative == null) {
			return null;
		}
		try {
			Path given = Path.of(relative);
			Path resolved = base.resolve(given).normalize();
			if (given.isAbsolute() || !resolved.startsWith(base.normalize())) {
				errors.put("workingDirectory", "must be relative to the pool's base directory and stay inside it");
				return null;
			}
			if (!Files.isDirectory(resolved)) {
				errors.put("workingDirectory", "'" + relative + "' is not a directory under the pool's base directory");
				return null;
			}
			if (!resolved.toRealPath().startsWith(base.toRealPath())) {
				errors.put("workingDirectory", "'" + relative + "' leads outside the pool's base directory");
				return null;
			}
			return resolved;
		}
		catch (InvalidPathException | IOException ex) {
			errors.put("workingDirectory", "'" + relative + "' is not a usable path");
			return null;
		}
	}

	/**
	 * Stores a state change, retrying a little: the change has happened and cannot be
	 * refused. If the store stays unwritable the change is kept in memory only, health
	 * reports the store down, and a restart will find the job as it was last stored.
	 */
	private void write(Job job) {
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

	private record Validated(WorkerPool pool, List<String> command, Path workingDirectory, Duration timeout) {
	}

	/** Records what the pool reports about one job. */
	private final class Listener implements ExecutionListener {

		private final Job job;

		Listener(Job job) {
			this.job = job;
		}

		@Override
		public void started(Long pid, Instant now) {
			Long startTicks = (pid != null) ? ProcessTable.read(pid).map(ProcessTable.Entry::startTicks).orElse(null)
					: null;
			// Readers of the job wait on its monitor, so they see the change only once it
			// is stored.
			synchronized (job) {
				job.start(pid, startTicks, processes.instance(), now);
				write(job);
			}
			events.publishEvent(new JobEvent.Started(job.pool(), Duration.between(job.submittedAt(), now)));
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			Instant now = Instant.now();
			try {
				synchronized (job) {
					job.finish(outcome, now);
					write(job);
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
