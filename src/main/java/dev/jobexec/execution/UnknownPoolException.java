package dev.jobexec.execution;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No pool has the requested name. */
public class UnknownPoolException extends ErrorResponseException {

	public UnknownPoolException(String pool, java.util.Collection<String> known) {
		super(HttpStatus.NOT_FOUND, problem(pool, known), null);
	}

	private static ProblemDetail problem(String pool, java.util.Collection<String> known) {
		ProblemDetail problem = Problems.problem(HttpStatus.NOT_FOUND, "unknown-pool", "Unknown pool",
				"No pool is named '" + pool + "'; pools: " + String.join(", ", known));
		problem.setProperty("pool", pool);
		return problem;
	}

}
