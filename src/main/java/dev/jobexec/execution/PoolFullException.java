package dev.jobexec.execution;

import java.time.Duration;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** A pool's queue is full: the submission is refused before anything is stored. */
public class PoolFullException extends ErrorResponseException {

	public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

	public PoolFullException(String pool, int queueCapacity) {
		super(HttpStatus.TOO_MANY_REQUESTS, problem(pool, queueCapacity), null);
		getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(RETRY_AFTER.toSeconds()));
	}

	private static ProblemDetail problem(String pool, int queueCapacity) {
		ProblemDetail problem = Problems.problem(HttpStatus.TOO_MANY_REQUESTS, "queue-full", "Queue full", "Pool '"
				+ pool + "' is running at its limit and its queue of " + queueCapacity + " is full; retry later");
		problem.setProperty("pool", pool);
		return problem;
	}

}
