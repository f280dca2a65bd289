package dev.jobexec.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobKind;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import io.swagger.v3.oas.annotations.media.Schema;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

/** A job as clients see it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A job: what was asked, its state, and how it ended")
public record JobView(
		@Schema(requiredMode = REQUIRED, description = "UUIDv7: ids sort by submission time",
				example = "019a8d5e-7c1f-7d2a-9b3e-2f6c1a4b5d6e") String id,
		@Schema(requiredMode = REQUIRED, example = "process") String pool,
		@Schema(requiredMode = REQUIRED) JobKind kind, @Schema(requiredMode = REQUIRED) JobState state,
		@Schema(description = "argv of a process job") List<String> command,
		@Schema(description = "The task of a task job") String task, Map<String, Object> params, String stdin,
		Map<String, String> env, String workingDirectory,
		@Schema(requiredMode = REQUIRED, type = "string", description = "ISO-8601; the pool's default when not given",
				example = "PT5M") Duration timeout,
		@Schema(requiredMode = REQUIRED) boolean daemon, Map<String, String> labels,
		@Schema(requiredMode = REQUIRED) Instant submittedAt, Instant startedAt, Instant finishedAt,
		@Schema(description = "OS process id, also the job's process group id") Long pid,
		@Schema(description = "Exit status of the process; 128+N when a signal N ended it") Integer exitCode,
		@Schema(description = "Signal that ended the process, when one did") Integer signal,
		@Schema(description = "Return value of a task") Object result,
		@Schema(description = "Why the job did not succeed") String error, Output stdout, Output stderr,
		TerminationReason terminationReason,
		@Schema(description = "The node (the run of the service, JOBEXEC_INSTANCE) that holds the job: it claimed "
				+ "it, runs it or ran it; absent while the job waits in the queue") String node,
		@Schema(description = "The limits the job asked for (the pool's apply where it gave none)") JobRequest.Limits limits,
		@Schema(description = "What a finished process job used") Usage usage) {

	/**
	 * The job as it is now; {@code withOutput} false leaves the output text out
	 * (listings).
	 */
	static JobView of(Job job, boolean withOutput) {
		Job.Persisted p = job.persisted();
		var request = p.request();
		return new JobView(p.id(), p.pool(), request.kind(), p.state(), request.command(), request.task(),
				request.params(), request.stdin(), request.env(), request.workingDirectory(), p.timeout(),
				Boolean.TRUE.equals(request.daemon()), request.labels(), p.submittedAt(), p.startedAt(), p.finishedAt(),
				p.pid(), p.exitCode(), p.signal(), p.result(), p.error(), Output.of(p.stdout(), withOutput),
				Output.of(p.stderr(), withOutput), p.terminationReason(), p.instance(), request.limits(),
				Usage.of(p.usage()));
	}

	/** What a finished process job used, and where the figures come from. */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	@Schema(description = "What a process job used. From its cgroup: every process it had. From rusage (no cgroup): "
			+ "the leader and the children it waited for, with peakMemory the largest resident set of one of them")
	public record Usage(
			@Schema(type = "string", description = "CPU time in user mode, ISO-8601",
					example = "PT0.012S") Duration cpuUser,
			@Schema(type = "string", description = "CPU time in the kernel on the job's behalf, ISO-8601",
					example = "PT0.004S") Duration cpuSystem,
			@Schema(description = "Peak memory in bytes", example = "1835008") Long peakMemory,
			@Schema(description = "The most processes the job had at once (cgroup only)", example = "3") Long processes,
			@Schema(requiredMode = REQUIRED, allowableValues = {
					"cgroup", "rusage" }, description = "Where the figures come from") String source){

		static Usage of(ResourceUsage usage) {
			return (usage == null) ? null : new Usage(usage.cpuUser(), usage.cpuSystem(), usage.peakMemory(),
					usage.processes(), usage.source());
		}

	}

	/**
	 * Captured output of one stream: the kept text (head and tail), the total size,
	 * whether bytes were dropped from the text, and how much the output file keeps.
	 */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record Output(@Schema(description = "Kept text; omitted in lists") String text, long bytes,
			boolean truncated,
			@Schema(description = "Bytes of the stream kept whole in the job's output file, from its first byte, "
					+ "and served by /stdout and /stderr (with Range); absent without a file") Long kept,
			@Schema(description = "Why the output file stopped short of the stream, other than its size limit "
					+ "(such as a full disk)") String keptError) {

		static Output of(CapturedOutput output, boolean withText) {
			return (output == null) ? null : new Output(withText ? output.text() : null, output.bytes(),
					output.truncated(), output.kept(), output.keptError());
		}

	}

}
