package dev.jobexec.job;

import org.springframework.http.HttpHeaders;
import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * The job store cannot be written (disk full, read-only, database down): nothing was
 * accepted.
 */
public class StoreUnavailableException extends ErrorResponseException {

	public StoreUnavailableException(String problemText, Throwable cause) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(problemText), cause);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
	}

	private static ProblemDetail problem(String problemText) {
		ProblemDetail problem = Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "store-unavailable",
				"Job store unavailable",
				"The job store cannot be written, so the job was not accepted: " + problemText);
		return problem;
	}

}
