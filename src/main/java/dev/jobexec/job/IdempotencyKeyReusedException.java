package dev.jobexec.job;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A submission came with an {@code Idempotency-Key} that an earlier, different request
 * was accepted with.
 */
class IdempotencyKeyReusedException extends ErrorResponseException {

	IdempotencyKeyReusedException(String jobId) {
		super(HttpStatus.UNPROCESSABLE_CONTENT, problem(jobId), null);
	}

	private static ProblemDetail problem(String jobId) {
		ProblemDetail problem = Problems.problem(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
				"Idempotency key reused", "This Idempotency-Key was first sent with another request, accepted as job "
						+ jobId + "; a new job needs a new key");
		problem.setProperty("jobId", jobId);
		return problem;
	}

}
