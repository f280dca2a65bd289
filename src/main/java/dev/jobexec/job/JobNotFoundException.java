package dev.jobexec.job;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No job has the requested id (or it was dropped by retention). */
class JobNotFoundException extends ErrorResponseException {

	private JobNotFoundException(String id, String detail) {
		super(HttpStatus.NOT_FOUND, problem(id, detail), null);
	}

	/**
	 * A well-formed id that names no job: never submitted, or deleted by the retention.
	 */
	static JobNotFoundException unknown(String id) {
		return new JobNotFoundException(id,
				"No job has the id '" + id + "'; finished jobs are kept only up to the retention");
	}

	/** Something that is not a job id at all, such as a placeholder pasted as it was. */
	static JobNotFoundException malformed(String id) {
		return new JobNotFoundException(id, "'" + id + "' is not a job id: ids are UUIDs such as "
				+ "019a8d5e-7c1f-7d2a-9b3e-2f6c1a4b5d6e, as POST /api/v1/jobs returns them");
	}

	private static ProblemDetail problem(String id, String detail) {
		ProblemDetail problem = Problems.problem(HttpStatus.NOT_FOUND, "job-not-found", "Job not found", detail);
		problem.setProperty("jobId", id);
		return problem;
	}

}
