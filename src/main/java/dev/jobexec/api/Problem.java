package dev.jobexec.api;

import java.net.URI;
import java.util.Map;

import dev.jobexec.job.JobState;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;

/**
 * The shape of every error body, for the OpenAPI document only: the answers themselves
 * are Spring's {@code ProblemDetail}, whose extension members are written flat beside the
 * standard ones, as this record shows them.
 */
@Schema(name = "Problem",
		description = "An RFC 9457 problem. `type` names the problem (https://jobexec.dev/problems/...); "
				+ "the other members are present where they apply.")
record Problem(
		@Schema(requiredMode = RequiredMode.REQUIRED,
				example = "https://jobexec.dev/problems/invalid-request") URI type,
		@Schema(requiredMode = RequiredMode.REQUIRED, example = "Invalid request") String title,
		@Schema(requiredMode = RequiredMode.REQUIRED, example = "400") int status,
		@Schema(requiredMode = RequiredMode.REQUIRED, description = "What went wrong, for a human") String detail,
		@Schema(description = "The path that was asked for", format = "uri-reference") String instance,
		@Schema(description = "Each invalid field, by name, and what is wrong with it (`invalid-request`)") Map<String, String> errors,
		@Schema(description = "The job (`job-not-found`, `job-finished`, `idempotency-key-reused`)") String jobId,
		@Schema(description = "The state the job finished in (`job-finished`)") JobState state,
		@Schema(description = "The pool (`unknown-pool`, `queue-full`, `shutting-down`)") String pool,
		@Schema(description = "The task (`unknown-task`)") String task,
		@Schema(description = "The executable, its real path (`command-not-allowed`)") String command,
		@Schema(description = "The setting that refused it (`command-not-allowed`)") String rule) {

}
