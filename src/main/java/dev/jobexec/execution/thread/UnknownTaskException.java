package dev.jobexec.execution.thread;

import java.net.URI;
import java.util.Collection;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No registered task has the requested name. */
public class UnknownTaskException extends ErrorResponseException {

	public UnknownTaskException(String task, Collection<String> known) {
		super(HttpStatus.NOT_FOUND, problem(task, known), null);
	}

	private static ProblemDetail problem(String task, Collection<String> known) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
				"No task is named '" + task + "'; tasks: " + String.join(", ", known));
		problem.setType(URI.create("https://jobexec.dev/problems/unknown-task"));
		problem.setTitle("Unknown task");
		problem.setProperty("task", task);
		return problem;
	}

}
