package dev.jobexec.execution.thread;

import java.time.Duration;
import java.util.Map;

/**
 * What a running task gets: its job id and its parameters, converted and with defaults
 * applied.
 */
public record TaskContext(String jobId, Map<String, Object> params) {

	public Object get(String name) {
		return params.get(name);
	}

	public Duration duration(String name) {
		return (Duration) params.get(name);
	}

	public boolean flag(String name) {
		return Boolean.TRUE.equals(params.get(name));
	}

	public String string(String name) {
		return (String) params.get(name);
	}

}
