package dev.jobexec.execution.process;

/**
 * The command and environment policies as the service makes them, for tests of other
 * packages (submission checking) that need the real policies without a Spring context.
 */
public final class ProcessFixtures {

	private ProcessFixtures() {
	}

	public static CommandPolicy commandPolicy(ProcessProperties properties) {
		return new CommandPolicy(properties);
	}

	public static EnvironmentPolicy environmentPolicy(ProcessProperties properties) {
		return new EnvironmentPolicy(properties);
	}

}
