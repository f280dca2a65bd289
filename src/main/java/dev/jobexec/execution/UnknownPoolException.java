package dev.jobexec.execution;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No pool has the requested name. */
public class UnknownPoolException extends ErrorResponseException {

	public UnknownPoolException(String pool, java.util.Collection<String> known) {
		super(HttpStatus.NOT_FOUND, problem(pool, known), null);
	}

	private static ProblemDetail problem(String pool, java.util.Collection<String> known) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
				"No pool is named '" + pool + "'; pools: " + String.join(", ", known));
		problem.setType(URI.create("https://jobexec.dev/problems/unknown-pool"));
		problem.setTitle("Unknown pool");
		problem.setProperty("pool", pool);
		return problem;
	}

}
