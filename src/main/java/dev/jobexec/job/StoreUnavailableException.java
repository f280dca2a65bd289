package dev.jobexec.job;

import java.net.URI;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The job store cannot be written (disk full, read-only, database down): nothing was accepted. */
class StoreUnavailableException extends ErrorResponseException {

	StoreUnavailableException(String problemText, Throwable cause) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(problemText), cause);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
	}

	private static ProblemDetail problem(String problemText) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
				"The job store cannot be written, so the job was not accepted: " + problemText);
		problem.setType(URI.create("https://jobexec.dev/problems/store-unavailable"));
		problem.setTitle("Job store unavailable");
		return problem;
	}

}
