package dev.jobexec.web;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.servlet.HandlerExceptionResolver;

/**
 * Answers a problem from a filter, before any controller: through the MVC exception
 * resolvers, so that the problem advice writes it as it writes every other one. The
 * request's {@code Accept} header is not consulted: a problem is always
 * {@code application/problem+json}, even for a client that sent an unparsable one.
 */
@Component
class ProblemResponder {

	private final HandlerExceptionResolver resolvers;

	ProblemResponder(@Qualifier("handlerExceptionResolver") HandlerExceptionResolver resolvers) {
		this.resolvers = resolvers;
	}

	void respond(HttpServletRequest request, HttpServletResponse response, ErrorResponseException problem) {
		resolvers.resolveException(new AcceptsProblems(request), response, null, problem);
	}

	/** The request as if it accepted problem details only. */
	private static final class AcceptsProblems extends HttpServletRequestWrapper {

		AcceptsProblems(HttpServletRequest request) {
			super(request);
		}

		@Override
		public String getHeader(String name) {
			return HttpHeaders.ACCEPT.equalsIgnoreCase(name) ? MediaType.APPLICATION_PROBLEM_JSON_VALUE
					: super.getHeader(name);
		}

		@Override
		public Enumeration<String> getHeaders(String name) {
			return HttpHeaders.ACCEPT.equalsIgnoreCase(name)
					? Collections.enumeration(List.of(MediaType.APPLICATION_PROBLEM_JSON_VALUE))
					: super.getHeaders(name);
		}

	}

}
