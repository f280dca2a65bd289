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
import java.util.regex.Pattern;

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
import dev.jobexec.execution.process.CommandPolicy;
import dev.jobexec.execution.thread.TaskRegistry;
import dev.jobexec.execution.thread.UnknownTaskException;
import lombok.RequiredArgsConstructor;
import lombok.extern.slf4j.Slf4j;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;

/**
 * The lifecycle of jobs: validates a submission, stores it, hands it to its pool, and records
 * every state change the pool reports.
 */
@Slf4j
@Service
@RequiredArgsConstructor
public class JobService implements SmartLifecycle {

	private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

	/** How long a cancel waits for the ladder before answering 202 instead of 200. */
	private static final Duration CANCEL_WAIT = Duration.ofSeconds(1);

	private final PoolRouter router;

	private final TaskRegistry tasks;

	private final CommandPolicy commands;

	private final JobStore store;

	private final ApplicationEventPublisher events;

	private final Map<String, Execution> executions = new ConcurrentHashMap<>();

	private final CompletableFuture<Void> closed = new CompletableFuture<>();

	private volatile boolean running;

	/**
	 * Validates, stores and queues a job.
	 * @throws InvalidJobException (400), CommandNotAllowedException (403), UnknownPoolException
	 * or UnknownTaskException (404), PoolFullException (429), PoolClosedException (503)
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
		String id = JobIds.next();
		Job job = new Job(id, poolName, request, validated.timeout(), Instant.now());
		try {
			store.insert(job);
		}
		catch (RuntimeException ex) {
			reservation.release();
			throw ex;
		}
		ExecutionSpec spec = new ExecutionSpec(id, validated.command(), request.task(), request.params(),
				request.stdin(), request.env(), validated.workingDirectory(), validated.timeout(),
				Boolean.TRUE.equals(request.daemon()));
		executions.put(id, reservation.bind(spec, new Listener(job)));
		events.publishEvent(new JobEvent.Submitted(poolName));
		reservation.submit();
		return job;
	}

	/** @throws JobNotFoundException (404) */
	public Job get(String id) {
		return store.find(id).orElseThrow(() -> new JobNotFoundException(id));
	}

	/** The job once it has ended, or as it is when {@code wait} has elapsed. */
	public Job await(String id, Duration wait) {
		Job job = get(id);
		awaitTerminal(job, wait);
		return job;
	}

	/**
	 * Waits up to {@code wait} for the job to end; returns whether it did. Waiting never affects the
	 * job, and every waiter is released once the pools have shut down, so that a long poll on a
	 * job that stays queued does not hold up the web server's graceful shutdown.
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

	/** Releases every waiting client; runs after the pools have drained and the reaper has cleared up. */
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
	public int getPhase() {
		return Integer.MAX_VALUE - 2;
	}

	public List<Job> list(JobStore.Query query) {
		if (query.after() != null && !JobIds.isValid(query.after())) {
			throw InvalidJobException.of("cursor", "is not a cursor this service returned");
		}
		return store.list(query);
	}

	/**
	 * Cancels a job: a queued one never starts, a running one goes down the termination ladder.
	 * Waits briefly for the ladder so that the common case answers with the cancelled job.
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
			errors.put("pool", "pool '" + poolName + "' runs " + (process ? "tasks, not commands" : "commands, not tasks"));
			throw new InvalidJobException(errors);
		}
		List<String> command = null;
		Path workingDirectory = null;
		if (process) {
			command = resolveCommand(request.command(), errors);
			validateEnv(request.env(), errors);
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
		if (request.labels() != null) {
			request.labels().forEach((key, value) -> {
				if (key.isBlank() || key.contains(":") || value == null) {
					errors.put("labels", "keys must be non-blank without ':' and values must be strings");
				}
			});
		}
		if (!errors.isEmpty()) {
			throw new InvalidJobException(errors);
		}
		return new Validated(pool, command, workingDirectory, timeout);
	}

	private List<String> resolveCommand(List<String> command, Map<String, String> errors) {
		for (String argument : command) {
			if (argument.indexOf('\0') >= 0) {
				errors.put("command", "arguments must not contain NUL bytes");
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

	private static void validateEnv(Map<String, String> env, Map<String, String> errors) {
		if (env == null) {
			return;
		}
		env.forEach((name, value) -> {
			if (!ENV_NAME.matcher(name).matches()) {
				errors.put("env", "'" + name + "' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
			}
			else if (value == null || value.indexOf('\0') >= 0) {
				errors.put("env", "the value of " + name + " must be a string without NUL bytes");
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

	private record Validated(WorkerPool pool, List<String> command, Path workingDirectory, Duration timeout) {
	}

	/** Records what the pool reports about one job. */
	private final class Listener implements ExecutionListener {

		private final Job job;

		Listener(Job job) {
			this.job = job;
		}

		@Override
		public void started(Long pid) {
			Instant now = Instant.now();
			job.start(pid, now);
			store.update(job);
			events.publishEvent(new JobEvent.Started(job.pool(), Duration.between(job.submittedAt(), now)));
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			Instant now = Instant.now();
			try {
				job.finish(outcome, now);
				store.update(job);
			}
			finally {
				executions.remove(job.id());
			}
			if (outcome.terminationReason() == TerminationReason.SHUTDOWN) {
				log.info("Job {} ended as {} by the shutdown", job.id(), job.state());
			}
			Instant from = (job.startedAt() != null) ? job.startedAt() : job.submittedAt();
			events.publishEvent(new JobEvent.Finished(job.pool(), job.state(), Duration.between(from, now)));
		}

	}

}
