package dev.jobexec.web;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.jobexec.job.JobLimits;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies larger than {@code jobexec.limits.max-request-size} with a 413
 * problem: at once when the declared length is too large, and while reading when a
 * chunked body grows past it, so that no body is ever buffered beyond the limit.
 */
@Component
class RequestSizeFilter extends OncePerRequestFilter {

	private final long max;

	private final JsonMapper json;

	RequestSizeFilter(JobLimits limits, JsonMapper json) {
		this.max = limits.maxRequestSize().toBytes();
		this.json = json;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		long length = request.getContentLengthLong();
		if (length > max) {
			Map<String, Object> body = new LinkedHashMap<>();
			body.put("type", "https://jobexec.dev/problems/request-too-large");
			body.put("title", "Request too large");
			body.put("status", 413);
			body.put("detail", detail(max));
			body.put("instance", request.getRequestURI());
			response.setStatus(HttpStatus.CONTENT_TOO_LARGE.value());
			response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
			response.setHeader("Connection", "close");
			json.writeValue(response.getOutputStream(), body);
			return;
		}
		chain.doFilter((length < 0) ? new Bounded(request, max) : request, response);
	}

	static String detail(long max) {
		return "The request body is larger than " + max + " bytes (jobexec.limits.max-request-size)";
	}

	/**
	 * Thrown while reading a body that has grown past the limit; the advice answers 413.
	 */
	static final class TooLargeException extends IOException {

		TooLargeException(long max) {
			super(detail(max));
		}

	}

	/**
	 * A request whose body stream fails once more than {@code max} bytes have been read.
	 */
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

					private void count(int n) throws TooLargeException {
						read += n;
						if (read > max) {
							throw new TooLargeException(max);
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
