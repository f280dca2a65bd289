package dev.jobexec.job;

import java.net.URI;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** A submission or a query that cannot be accepted as it is; {@code errors} names each field. */
class InvalidJobException extends ErrorResponseException {

	InvalidJobException(Map<String, String> errors) {
		super(HttpStatus.BAD_REQUEST, problem(errors), null);
	}

	static InvalidJobException of(String field, String message) {
		return new InvalidJobException(Map.of(field, message));
	}

	private static ProblemDetail problem(Map<String, String> errors) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				errors.entrySet().stream().map((e) -> e.getKey() + ": " + e.getValue()).sorted()
					.reduce((a, b) -> a + "; " + b).orElse("invalid request"));
		problem.setType(URI.create("https://jobexec.dev/problems/invalid-request"));
		problem.setTitle("Invalid request");
		problem.setProperty("errors", Map.copyOf(errors));
		return problem;
	}

}
