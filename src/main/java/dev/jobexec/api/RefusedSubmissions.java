package dev.jobexec.api;

import java.util.List;

import dev.jobexec.job.JobEvent;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobService;
import jakarta.servlet.http.HttpServletRequest;
import lombok.RequiredArgsConstructor;

import org.springframework.context.event.EventListener;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.validation.BindException;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.util.UrlPathHelper;

/**
 * Makes {@code jobexec.jobs.rejected} count every refused {@code POST /api/v1/jobs} once
 * (a batch refused before it was read counts once too). {@link JobService} counts the
 * refusals it makes; the ones made before it sees the submission (a body that is not
 * JSON, has an unknown field, fails Bean Validation, is too large or of another media
 * type) are counted here, as {@code invalid}, when the problem advice answers them. A
 * request without a valid API key is not counted: it is no one's submission.
 */
@Component
@RequiredArgsConstructor
class RefusedSubmissions {

	/** Marks a request whose refusal has been counted. */
	private static final String COUNTED = RefusedSubmissions.class.getName() + ".counted";

	private final JobService jobs;

	/**
	 * Refusals are published on the request's own thread, so the request they belong to
	 * can be marked as counted.
	 */
	@EventListener
	void on(JobEvent.Rejected rejected) {
		RequestAttributes request = RequestContextHolder.getRequestAttributes();
		if (request != null) {
			request.setAttribute(COUNTED, Boolean.TRUE, RequestAttributes.SCOPE_REQUEST);
		}
	}

	/** Counts an error answer to a submission, unless its refusal is counted already. */
	void answered(Exception ex, HttpStatusCode status, WebRequest request) {
		if (status.is4xxClientError() && status.value() != HttpStatus.UNAUTHORIZED.value() && isSubmission(request)
				&& request.getAttribute(COUNTED, RequestAttributes.SCOPE_REQUEST) == null) {
			JobRequest submitted = (ex instanceof BindException invalid
					&& invalid.getTarget() instanceof JobRequest body) ? body : null;
			jobs.refusedBeforeSubmit(submitted);
		}
	}

	private static boolean isSubmission(WebRequest request) {
		HttpServletRequest http = (request instanceof NativeWebRequest nativeRequest)
				? nativeRequest.getNativeRequest(HttpServletRequest.class) : null;
		return http != null && HttpMethod.POST.matches(http.getMethod())
				&& List.of("/api/v1/jobs", "/api/v1/jobs/batch")
					.contains(UrlPathHelper.defaultInstance.getPathWithinApplication(http));
	}

}
