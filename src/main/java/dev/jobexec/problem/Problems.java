package dev.jobexec.problem;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/** Builds the RFC 9457 problems jobexec answers with, all typed under one base URI. */
public final class Problems {

	/**
	 * Where every problem type of jobexec lives; the last path segment names the problem.
	 */
	public static final String TYPE_BASE = "https://jobexec.dev/problems/";

	private Problems() {
	}

	/**
	 * A 400 that names each invalid field in {@code errors} and joins them in its detail.
	 */
	public static ProblemDetail invalid(Map<String, String> errors) {
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
				errors.entrySet()
					.stream()
					.map((entry) -> entry.getKey() + ": " + entry.getValue())
					.sorted()
					.reduce((a, b) -> a + "; " + b)
					.orElse("invalid request"));
		problem.setProperty("errors", new LinkedHashMap<>(errors));
		return problem;
	}

	public static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(URI.create(TYPE_BASE + type));
		problem.setTitle(title);
		return problem;
	}

}
