package dev.jobexec.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/** A submission: exactly one of {@code command} or {@code task}, and how to run it. */
@Schema(description = "A job to run: give exactly one of `command` (a process job) or `task` (a thread job).")
public record JobRequest(
		@Schema(description = "Pool to run in; defaults to `process` for a command and `thread` for a task",
				example = "process") @Size(max = 64) String pool,
		@Schema(description = "argv of a process job; no shell is involved unless argv names one",
				example = "[\"/bin/echo\", \"hello\"]") @Size(min = 1) List<@NotNull String> command,
		@Schema(description = "Name of a registered task (see GET /api/v1/tasks)", example = "sleep") @Size(min = 1,
				max = 128) String task,
		@Schema(description = "Parameters of the task",
				example = "{\"duration\": \"PT2S\"}") Map<String, Object> params,
		@Schema(description = "Text written to the process's standard input") String stdin,
		@Schema(description = "Environment of the process; it does not inherit the service's",
				example = "{\"GREETING\": \"hello\"}") Map<String, String> env,
		@Schema(description = "Directory to run in, relative to the pool's base directory",
				example = "reports") @Size(max = 4096) String workingDirectory,
		@Schema(description = "ISO-8601 duration after which the job is terminated; defaults to the pool's",
				type = "string", example = "PT30S") Duration timeout,
		@Schema(description = "true: terminated as soon as the service shuts down; false: drained",
				defaultValue = "false") Boolean daemon,
		@Schema(description = "Free key/value labels to filter by",
				example = "{\"team\": \"reports\"}") Map<String, String> labels) {

	public JobKind kind() {
		return (command != null) ? JobKind.PROCESS : JobKind.TASK;
	}

}
