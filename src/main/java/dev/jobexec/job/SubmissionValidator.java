package dev.jobexec.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.ResourceLimits;
import dev.jobexec.execution.WorkerPool;
import dev.jobexec.execution.process.CommandPolicy;
import dev.jobexec.execution.process.EnvironmentPolicy;
import dev.jobexec.execution.process.JobIsolation;
import dev.jobexec.execution.thread.TaskRegistry;
import lombok.RequiredArgsConstructor;

import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * Checks a submission before anything is stored: its pool, its command against the
 * allow-list, its environment, stdin, working directory, task parameters, timeout and
 * labels against {@code jobexec.limits.*}. Every problem is named by its field.
 */
@Component
@RequiredArgsConstructor
class SubmissionValidator {

	private final PoolRouter router;

	private final TaskRegistry tasks;

	private final CommandPolicy commands;

	private final EnvironmentPolicy environment;

	private final JobLimits limits;

	private final JobIsolation isolation;

	/**
	 * @throws InvalidJobException when a batch has more jobs than
	 * {@code jobexec.limits.max-batch-size}
	 */
	void checkBatchSize(int jobs) {
		if (jobs > limits.maxBatchSize()) {
			throw InvalidJobException.of("jobs", "has " + jobs + " jobs; at most " + limits.maxBatchSize()
					+ " are allowed (jobexec.limits.max-batch-size)");
		}
	}

	/**
	 * Why a job of a batch may not have these labels, or null: the batch adds its own
	 * ({@link JobService#BATCH_LABEL}), which the job may not set, and which must fit
	 * {@code jobexec.limits.max-labels} too (a job is checked again when another node
	 * claims it, or after a restart).
	 */
	String batchLabelsProblem(Map<String, String> labels) {
		if (labels != null && labels.containsKey(JobService.BATCH_LABEL)) {
			return "the label '" + JobService.BATCH_LABEL + "' is the batch's id; a job of a batch may not set it";
		}
		int count = (labels != null) ? labels.size() : 0;
		return (count >= limits.maxLabels()) ? "has " + count + " labels; a job of a batch may have at most "
				+ (limits.maxLabels() - 1) + ", as the batch adds one (jobexec.limits.max-labels)" : null;
	}

	/** The pool a request names, or the default pool for its kind. */
	static String poolName(JobRequest request) {
		if (request.pool() != null) {
			return request.pool();
		}
		return (request.task() != null && request.command() == null) ? "thread" : "process";
	}

	/**
	 * Checks {@code request} against its pool {@code poolName} and the limits, resolving
	 * its command and working directory.
	 * @throws InvalidJobException (400), CommandNotAllowedException (403),
	 * UnknownPoolException or UnknownTaskException (404)
	 */
	Validated validate(JobRequest request, String poolName) {
		return validate(request, poolName, true);
	}

	/**
	 * Checks a job accepted earlier (queued before a restart, claimed by another node, or
	 * due for its next attempt) as {@link #validate} does, except for its retry policy,
	 * which was resolved when it was accepted and is kept with it.
	 */
	Validated validateAccepted(JobRequest request, String poolName) {
		return validate(request, poolName, false);
	}

	private Validated validate(JobRequest request, String poolName, boolean submission) {
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
		ResourceLimits resourceLimits = ResourceLimits.NONE;
		if (process) {
			resourceLimits = resolveLimits(request.limits(), poolName, config, errors);
			command = resolveCommand(request.command(), errors);
			validateEnv(request.env(), errors);
			validateStdin(request.stdin(), errors);
			workingDirectory = resolveWorkingDirectory(config.baseDirectory(), request.workingDirectory(), errors);
		}
		else {
			for (String field : new String[] { "stdin", "env", "workingDirectory", "limits" }) {
				Object value = switch (field) {
					case "stdin" -> request.stdin();
					case "env" -> request.env();
					case "limits" -> request.limits();
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
		RetryPolicy retry = submission ? RetryPolicy.resolve(request.retry(), config.retry(), errors)
				: RetryPolicy.NONE;
		if (!errors.isEmpty()) {
			throw new InvalidJobException(errors);
		}
		return new Validated(pool, command, workingDirectory, timeout, resourceLimits, retry);
	}

	/**
	 * The job's limits, each its own where it gives one (at most the pool's), else the
	 * pool's; refused where this machine cannot enforce them.
	 */
	private ResourceLimits resolveLimits(JobRequest.Limits asked, String poolName, ExecutionProperties.Pool config,
			Map<String, String> errors) {
		ResourceLimits pool = config.resourceLimits();
		if (asked == null) {
			return pool;
		}
		Long memory = null;
		if (asked.memory() != null) {
			try {
				memory = DataSize.parse(asked.memory().trim()).toBytes();
				if (memory < 1 << 20) {
					errors.put("limits.memory", "must be at least 1MB");
				}
				else if (pool.memory() != null && memory > pool.memory()) {
					errors.put("limits.memory", "exceeds the memory limit of pool '" + poolName + "' ("
							+ ResourceLimits.describeMemory(pool.memory()) + ")");
				}
			}
			catch (IllegalArgumentException ex) {
				errors.put("limits.memory", "must be a size such as 64MB or 1GB, or a number of bytes");
			}
		}
		if (asked.processes() != null) {
			if (asked.processes() < 1) {
				errors.put("limits.processes", "must be at least 1");
			}
			else if (pool.processes() != null && asked.processes() > pool.processes()) {
				errors.put("limits.processes",
						"exceeds the processes limit of pool '" + poolName + "' (" + pool.processes() + ")");
			}
		}
		if (asked.cpu() != null) {
			if (!(asked.cpu() >= 0.01 && asked.cpu() <= 1024)) {
				errors.put("limits.cpu", "must be between 0.01 and 1024 cores");
			}
			else if (pool.cpu() != null && asked.cpu() > pool.cpu()) {
				errors.put("limits.cpu", "exceeds the cpu limit of pool '" + poolName + "' (" + pool.cpu() + " cores)");
			}
		}
		ResourceLimits own = new ResourceLimits(memory, asked.processes(), asked.cpu());
		String refusal = isolation.refusal(poolName, own);
		if (refusal != null && errors.keySet().stream().noneMatch((field) -> field.startsWith("limits"))) {
			errors.put("limits", refusal);
		}
		return own.or(pool);
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
		if (stdin != null && stdin.getBytes(StandardCharsets.UTF_8).length > limits.maxStdin().toBytes()) {
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

	/** A submission that passed: its pool, and what to run, resolved. */
	record Validated(WorkerPool pool, List<String> command, Path workingDirectory, Duration timeout,
			ResourceLimits limits, RetryPolicy retry) {

		ExecutionSpec spec(String jobId, int attempt, JobRequest request) {
			return new ExecutionSpec(jobId, command, request.task(), request.params(), request.stdin(), request.env(),
					workingDirectory, timeout, Boolean.TRUE.equals(request.daemon()), limits, attempt);
		}

	}

}
