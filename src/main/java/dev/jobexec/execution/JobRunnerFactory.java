package dev.jobexec.execution;

/**
 * Makes the runner of a pool of one type; the process and thread packages each provide
 * one.
 */
public interface JobRunnerFactory {

	PoolType type();

	JobRunner create(String poolName, ExecutionProperties.Pool config);

}
