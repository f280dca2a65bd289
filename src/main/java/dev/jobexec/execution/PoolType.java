package dev.jobexec.execution;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a pool runs: OS processes or Java tasks. */
public enum PoolType {

	PROCESS, THREAD;

	@JsonValue
	public String id() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

}
