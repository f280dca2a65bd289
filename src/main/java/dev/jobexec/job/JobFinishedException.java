package dev.jobexec.job;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The job has already ended, so it cannot be cancelled. */
class JobFinishedException extends ErrorResponseException {

	JobFinishedException(String id, JobState state) {
		super(HttpStatus.CONFLICT, problem(id, state), null);
	}

	private static ProblemDetail problem(String id, JobState state) {
		ProblemDetail problem = Problems.problem(HttpStatus.CONFLICT, "job-finished", "Job already finished",
				"Job " + id + " has already finished as " + state + " and cannot be cancelled");
		problem.setProperty("jobId", id);
		problem.setProperty("state", state);
		return problem;
	}

}
