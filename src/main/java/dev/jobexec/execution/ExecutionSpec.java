package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What to run, fully validated and resolved: an argv with an absolute executable, or a
 * task name with checked parameters; {@code attempt} is the job's attempt it runs (1, or
 * more for a retry), which names its output files.
 */
public record ExecutionSpec(String jobId, List<String> command, String task, Map<String, Object> params, String stdin,
		Map<String, String> env, Path workingDirectory, Duration timeout, boolean daemon, ResourceLimits limits,
		int attempt) {

	/** The first attempt of a job. */
	public ExecutionSpec(String jobId, List<String> command, String task, Map<String, Object> params, String stdin,
			Map<String, String> env, Path workingDirectory, Duration timeout, boolean daemon, ResourceLimits limits) {
		this(jobId, command, task, params, stdin, env, workingDirectory, timeout, daemon, limits, 1);
	}

	/** A spec whose job asks for no limits of its own (the pool's apply). */
	public ExecutionSpec(String jobId, List<String> command, String task, Map<String, Object> params, String stdin,
			Map<String, String> env, Path workingDirectory, Duration timeout, boolean daemon) {
		this(jobId, command, task, params, stdin, env, workingDirectory, timeout, daemon, ResourceLimits.NONE);
	}

}
