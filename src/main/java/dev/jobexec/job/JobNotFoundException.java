package dev.jobexec.job;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No job has the requested id (or it was dropped by retention). */
class JobNotFoundException extends ErrorResponseException {

	JobNotFoundException(String id) {
		super(HttpStatus.NOT_FOUND, problem(id), null);
	}

	private static ProblemDetail problem(String id) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
				"No job has the id '" + id + "'; finished jobs are kept only up to the retention");
		problem.setType(URI.create("https://jobexec.dev/problems/job-not-found"));
		problem.setTitle("Job not found");
		problem.setProperty("jobId", id);
		return problem;
	}

}
