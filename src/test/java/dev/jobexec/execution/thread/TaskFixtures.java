package dev.jobexec.execution.thread;

import java.util.List;

/**
 * The task registry as the service makes it over the built-in tasks, for tests of other
 * packages (submission checking) that need it without a Spring context.
 */
public final class TaskFixtures {

	private TaskFixtures() {
	}

	/** A registry of the {@link BuiltInTasks} beans. */
	public static TaskRegistry builtInTasks() {
		BuiltInTasks tasks = new BuiltInTasks();
		return new TaskRegistry(List.of(tasks.sleepTask(), tasks.echoTask(), tasks.failTask(), tasks.cpuTask()));
	}

}
