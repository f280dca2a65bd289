package dev.jobexec.execution.thread;

import java.util.List;

/**
 * A Java task that thread pools run by name. Implement it as a Spring component; the task
 * should return promptly when its thread is interrupted (a task that does not is declared
 * stuck).
 */
public interface JobTask {

	/** The name clients use in {@code "task"}. */
	String name();

	/** One sentence for {@code GET /api/v1/tasks}. */
	String description();

	/** The parameters the task accepts; anything else is refused at submission. */
	List<TaskParameter> parameters();

	/**
	 * Runs the task; the return value becomes the job's {@code result} and must be
	 * serialisable to JSON. A thrown exception fails the job with its message.
	 */
	Object run(TaskContext context) throws Exception;

}
