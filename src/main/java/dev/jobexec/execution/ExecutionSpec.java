package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What to run, fully validated and resolved: an argv with an absolute executable, or a
 * task name with checked parameters.
 */
public record ExecutionSpec(String jobId, List<String> command, String task, Map<String, Object> params, String stdin,
		Map<String, String> env, Path workingDirectory, Duration timeout, boolean daemon, ResourceLimits limits) {

	/** A spec whose job asks for no limits of its own (the pool's apply). */
	public ExecutionSpec(String jobId, List<String> command, String task, Map<String, Object> params, String stdin,
			Map<String, String> env, Path workingDirectory, Duration timeout, boolean daemon) {
		this(jobId, command, task, params, stdin, env, workingDirectory, timeout, daemon, ResourceLimits.NONE);
	}

}
