package dev.jobexec.job;

import java.util.Map;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * A submission or a query that cannot be accepted as it is; {@code errors} names each
 * field.
 */
public class InvalidJobException extends ErrorResponseException {

	public InvalidJobException(Map<String, String> errors) {
		super(HttpStatus.BAD_REQUEST, Problems.invalid(errors), null);
	}

	public static InvalidJobException of(String field, String message) {
		return new InvalidJobException(Map.of(field, message));
	}

}
