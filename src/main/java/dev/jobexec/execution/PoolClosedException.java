package dev.jobexec.execution;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The service is shutting down and its pools take no new jobs. */
public class PoolClosedException extends ErrorResponseException {

	public PoolClosedException(String pool) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(pool), null);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "30");
	}

	private static ProblemDetail problem(String pool) {
		ProblemDetail problem = Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "shutting-down", "Shutting down",
				"The service is shutting down and accepts no new jobs; retry against another instance or later");
		problem.setProperty("pool", pool);
		return problem;
	}

}
