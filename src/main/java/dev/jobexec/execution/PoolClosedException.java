package dev.jobexec.execution;

import java.net.URI;

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
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
				"The service is shutting down and accepts no new jobs; retry against another instance or later");
		problem.setType(URI.create("https://jobexec.dev/problems/shutting-down"));
		problem.setTitle("Shutting down");
		problem.setProperty("pool", pool);
		return problem;
	}

}
