package dev.jobexec.execution;

/**
 * Pools made around a runner of the test's own, for tests that build a
 * {@link PoolRouter}.
 */
public final class RunnerFixtures {

	private RunnerFixtures() {
	}

	/** A factory that gives every pool of {@code type} the same {@code runner}. */
	public static JobRunnerFactory factory(PoolType type, JobRunner runner) {
		return new JobRunnerFactory() {

			@Override
			public PoolType type() {
				return type;
			}

			@Override
			public JobRunner create(String poolName, ExecutionProperties.Pool config) {
				return runner;
			}

		};
	}

}
