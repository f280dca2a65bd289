package dev.jobexec.execution.thread;

import java.util.Collection;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No registered task has the requested name. */
public class UnknownTaskException extends ErrorResponseException {

	public UnknownTaskException(String task, Collection<String> known) {
		super(HttpStatus.NOT_FOUND, problem(task, known), null);
	}

	private static ProblemDetail problem(String task, Collection<String> known) {
		ProblemDetail problem = Problems.problem(HttpStatus.NOT_FOUND, "unknown-task", "Unknown task",
				"No task is named '" + task + "'; tasks: " + String.join(", ", known));
		problem.setProperty("task", task);
		return problem;
	}

}
