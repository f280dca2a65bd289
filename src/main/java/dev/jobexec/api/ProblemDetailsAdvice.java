package dev.jobexec.api;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import dev.jobexec.problem.Problems;
import lombok.RequiredArgsConstructor;
import lombok.extern.slf4j.Slf4j;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every error into an RFC 9457 problem: the framework's own errors with a precise
 * detail and a field map, the domain's {@code ErrorResponseException}s as they are, and
 * anything unexpected into a 500 that says nothing internal.
 */
@Slf4j
@RestControllerAdvice
@RequiredArgsConstructor
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

	private final RefusedSubmissions refusedSubmissions;

	/**
	 * Every answer passes here, so a refused submission is counted wherever it was
	 * refused.
	 */
	@Override
	protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
			HttpStatusCode statusCode, WebRequest request) {
		refusedSubmissions.answered(ex, statusCode, request);
		return super.handleExceptionInternal(ex, body, headers, statusCode, request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			// A problem raised while the body was read (one too large) is answered as
			// itself.
			if (cause instanceof ErrorResponseException problem) {
				return handleExceptionInternal(problem, problem.getBody(), problem.getHeaders(),
						problem.getStatusCode(), request);
			}
		}
		String detail = "The body is not a valid job request";
		Map<String, String> errors = new LinkedHashMap<>();
		Throwable cause = jacksonCause(ex);
		if (cause instanceof DatabindException databind && !databind.getPath().isEmpty()) {
			String field = fieldPath(databind);
			errors.put(field, expected(databind));
			detail = field + ": " + expected(databind);
		}
		else if (cause instanceof JacksonException jackson) {
			detail = "The body is not valid JSON" + ((jackson.getLocation() != null) ? " (line "
					+ jackson.getLocation().getLineNr() + ", column " + jackson.getLocation().getColumnNr() + ")" : "");
		}
		ProblemDetail problem = Problems.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
		if (!errors.isEmpty()) {
			problem.setProperty("errors", errors);
		}
		return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
	}

	@Override
	protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		Map<String, String> errors = new LinkedHashMap<>();
		for (FieldError error : ex.getBindingResult().getFieldErrors()) {
			errors.putIfAbsent(error.getField(), error.getDefaultMessage());
		}
		ex.getBindingResult()
			.getGlobalErrors()
			.forEach((error) -> errors.putIfAbsent(error.getObjectName(), error.getDefaultMessage()));
		return handleExceptionInternal(ex, Problems.invalid(errors), headers, HttpStatus.BAD_REQUEST, request);
	}

	@Override
	protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		Map<String, String> errors = new LinkedHashMap<>();
		ex.getParameterValidationResults()
			.forEach((result) -> result.getResolvableErrors()
				.forEach((error) -> errors.putIfAbsent(result.getMethodParameter().getParameterName(),
						error.getDefaultMessage())));
		return handleExceptionInternal(ex, Problems.invalid(errors), headers, HttpStatus.BAD_REQUEST, request);
	}

	@ExceptionHandler(Exception.class)
	ResponseEntity<Object> handleUnexpected(Exception ex, WebRequest request) {
		log.error("Unexpected error answering {}", request.getDescription(false), ex);
		ProblemDetail problem = Problems.problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
				"The service failed to answer; the error is in its log");
		return handleExceptionInternal(ex, problem, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR, request);
	}

	/**
	 * What a field should have held, in the client's terms rather than Jackson's (which
	 * names Java types and its own features).
	 */
	private static String expected(DatabindException ex) {
		if (ex instanceof UnrecognizedPropertyException unknown) {
			return "is not a field of this request; the fields are " + unknown.getKnownPropertyIds()
				.stream()
				.map(String::valueOf)
				.sorted()
				.collect(Collectors.joining(", "));
		}
		Class<?> type = (ex instanceof MismatchedInputException mismatch) ? mismatch.getTargetType() : null;
		if (type == null) {
			return "is not valid";
		}
		if (Duration.class.isAssignableFrom(type)) {
			return "must be an ISO-8601 duration such as PT30S";
		}
		if (Collection.class.isAssignableFrom(type) || type.isArray()) {
			return "must be a JSON array";
		}
		if (Map.class.isAssignableFrom(type)) {
			return "must be a JSON object";
		}
		if (type == Boolean.class || type == boolean.class) {
			return "must be true or false";
		}
		if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
			return "must be a number";
		}
		if (type == String.class) {
			return "must be a string";
		}
		return "is not valid";
	}

	/**
	 * The outermost Jackson exception: it knows the field path, which its own causes do
	 * not.
	 */
	private static Throwable jacksonCause(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof JacksonException) {
				return cause;
			}
		}
		return ex;
	}

	private static String fieldPath(DatabindException ex) {
		StringBuilder path = new StringBuilder();
		for (JacksonException.Reference reference : ex.getPath()) {
			if (reference.getPropertyName() != null) {
				if (!path.isEmpty()) {
					path.append('.');
				}
				path.append(reference.getPropertyName());
			}
			else if (reference.getIndex() >= 0) {
				path.append('[').append(reference.getIndex()).append(']');
			}
		}
		return path.isEmpty() ? "body" : path.toString();
	}

}
