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
		this(problem("The job store cannot be written, so the job was not accepted: " + problemText), cause);
	}

	private StoreUnavailableException(ProblemDetail problem, Throwable cause) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem, cause);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
	}

	/** The job store could not be read (the database is down or restarting). */
	public static StoreUnavailableException reading(String problemText, Throwable cause) {
		return new StoreUnavailableException(problem("The job store cannot be read now: " + problemText), cause);
	}

	private static ProblemDetail problem(String detail) {
		return Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "store-unavailable", "Job store unavailable", detail);
	}

}
