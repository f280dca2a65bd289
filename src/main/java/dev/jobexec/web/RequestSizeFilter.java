package dev.jobexec.web;

import java.io.IOException;

import dev.jobexec.job.JobLimits;
import dev.jobexec.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies larger than {@code jobexec.limits.max-request-size} with a 413
 * problem: at once when the declared length is too large, and while reading when a
 * chunked body grows past it, so that no body is ever buffered beyond the limit.
 */
@Component
class RequestSizeFilter extends OncePerRequestFilter {

	private final long max;

	private final ProblemResponder problems;

	RequestSizeFilter(JobLimits limits, ProblemResponder problems) {
		this.max = limits.maxRequestSize().toBytes();
		this.problems = problems;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		long length = request.getContentLengthLong();
		if (length > max) {
			RequestTooLargeException tooLarge = new RequestTooLargeException(max);
			// The body is not read, so the connection cannot carry another request.
			tooLarge.getHeaders().set(HttpHeaders.CONNECTION, "close");
			problems.respond(request, response, tooLarge);
			return;
		}
		chain.doFilter((length < 0) ? new Bounded(request, max) : request, response);
	}

	/** A request body larger than {@code jobexec.limits.max-request-size}: 413. */
	static final class RequestTooLargeException extends ErrorResponseException {

		RequestTooLargeException(long max) {
			super(HttpStatus.CONTENT_TOO_LARGE,
					Problems.problem(HttpStatus.CONTENT_TOO_LARGE, "request-too-large", "Request too large",
							"The request body is larger than " + max + " bytes (jobexec.limits.max-request-size)"),
					null);
		}

	}

	private static final class Bounded extends HttpServletRequestWrapper {

		private final long max;

		private ServletInputStream stream;

		Bounded(HttpServletRequest request, long max) {
			super(request);
			this.max = max;
		}

		@Override
		public ServletInputStream getInputStream() throws IOException {
			if (stream == null) {
				ServletInputStream in = super.getInputStream();
				stream = new ServletInputStream() {

					private long read;

					@Override
					public int read() throws IOException {
						int b = in.read();
						if (b >= 0) {
							count(1);
						}
						return b;
					}

					@Override
					public int read(byte[] buffer, int offset, int length) throws IOException {
						int n = in.read(buffer, offset, length);
						if (n > 0) {
							count(n);
						}
						return n;
					}

					private void count(int n) throws IOException {
						read += n;
						if (read > max) {
							// Reading fails inside the message converter; the problem
							// advice
							// finds the 413 among the causes.
							RequestTooLargeException tooLarge = new RequestTooLargeException(max);
							throw new IOException(tooLarge.getBody().getDetail(), tooLarge);
						}
					}

					@Override
					public boolean isFinished() {
						return in.isFinished();
					}

					@Override
					public boolean isReady() {
						return in.isReady();
					}

					@Override
					public void setReadListener(ReadListener listener) {
						in.setReadListener(listener);
					}

				};
			}
			return stream;
		}

	}

}
