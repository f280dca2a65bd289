package dev.jobexec.job;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The job has already ended, so it cannot be cancelled. */
class JobFinishedException extends ErrorResponseException {

	JobFinishedException(String id, JobState state) {
		super(HttpStatus.CONFLICT, problem(id, state), null);
	}

	private static ProblemDetail problem(String id, JobState state) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
				"Job " + id + " has already finished as " + state + " and cannot be cancelled");
		problem.setType(URI.create("https://jobexec.dev/problems/job-finished"));
		problem.setTitle("Job already finished");
		problem.setProperty("jobId", id);
		problem.setProperty("state", state);
		return problem;
	}

}
