package dev.jobexec.job;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No job has the requested id (or it was dropped by retention). */
class JobNotFoundException extends ErrorResponseException {

	JobNotFoundException(String id) {
		super(HttpStatus.NOT_FOUND, problem(id), null);
	}

	private static ProblemDetail problem(String id) {
		ProblemDetail problem = Problems.problem(HttpStatus.NOT_FOUND, "job-not-found", "Job not found",
				"No job has the id '" + id + "'; finished jobs are kept only up to the retention");
		problem.setProperty("jobId", id);
		return problem;
	}

}
