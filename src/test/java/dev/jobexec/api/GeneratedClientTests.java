package dev.jobexec.api;

import java.util.List;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import jobexec.client.ApiClient;
import jobexec.client.ApiException;
import jobexec.client.ApiResponse;
import jobexec.client.api.JobsApi;
import jobexec.client.api.PoolsAndTasksApi;
import jobexec.client.model.JobRequest;
import jobexec.client.model.JobState;
import jobexec.client.model.JobView;
import jobexec.client.model.Problem;
import jobexec.client.model.PoolSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The Java client that openapi-generator ({@code java}, {@code native}) makes from
 * {@code docs/openapi.json} works against the service as it is, with request objects left
 * as their constructor made them except for what the job needs.
 */
@JobexecHttpTest
class GeneratedClientTests {

	@LocalServerPort
	int port;

	@Autowired
	Api api;

	private ApiClient client;

	private JobsApi jobs;

	private PoolsAndTasksApi pools;

	@BeforeEach
	void client() {
		client = new ApiClient();
		client.updateBaseUri("http://localhost:" + port);
		client.setRequestInterceptor((request) -> request.header("X-API-Key", Api.KEY));
		jobs = new JobsApi(client);
		pools = new PoolsAndTasksApi(client);
	}

	@Test
	void processJobRunsThroughTheGeneratedClient() throws ApiException {
		JobRequest request = new JobRequest();
		request.setCommand(List.of("/bin/echo", "hello"));
		ApiResponse<JobView> accepted = jobs.submitJobWithHttpInfo(request, null, null);
		assertThat(accepted.getStatusCode()).isEqualTo(202);
		assertThat(accepted.getData().getKind()).isEqualTo(JobView.KindEnum.PROCESS);
		JobView finished = jobs.getJob(accepted.getData().getId(), "PT30S");
		assertThat(finished.getState()).isEqualTo(JobState.SUCCEEDED);
		assertThat(finished.getExitCode()).isZero();
		assertThat(jobs.getJobStdout(finished.getId())).isEqualTo("hello\n");
	}

	@Test
	void taskJobRunsThroughTheGeneratedClient() throws ApiException {
		JobRequest request = new JobRequest();
		request.setTask("echo");
		request.setParams(Map.of("message", "hi"));
		ApiResponse<JobView> answer = jobs.submitJobWithHttpInfo(request, "wait=30", null);
		assertThat(answer.getStatusCode()).isEqualTo(200);
		assertThat(answer.getData().getState()).isEqualTo(JobState.SUCCEEDED);
		assertThat(answer.getData().getResult()).isEqualTo("hi");
	}

	@Test
	void nullCollectionsAreTakenAsAbsent() {
		// What the document promises with anyOf [..., null] for command, params, env and
		// labels.
		assertThat(api.submit("{\"task\":\"echo\",\"command\":null,\"env\":null,\"labels\":null}"))
			.containsEntry("kind", "TASK");
		assertThat(api.submit("{\"command\":[\"/bin/true\"],\"params\":null,\"env\":null,\"labels\":null}"))
			.containsEntry("kind", "PROCESS");
	}

	@Test
	void poolsAndProblemsAreTyped() throws Exception {
		assertThat(pools.getPool("process").getType()).isEqualTo(PoolSnapshot.TypeEnum.PROCESS);
		ApiException unknownPool = catchThrowableOfType(ApiException.class, () -> pools.getPool("no-such-pool"));
		assertThat(unknownPool.getCode()).isEqualTo(404);
		ApiException empty = catchThrowableOfType(ApiException.class,
				() -> jobs.submitJob(new JobRequest(), null, null));
		assertThat(empty.getCode()).isEqualTo(400);
		Problem problem = client.getObjectMapper().readValue(empty.getResponseBody(), Problem.class);
		assertThat(problem.getType()).hasToString("https://jobexec.dev/problems/invalid-request");
		assertThat(problem.getErrors()).containsKey("command");
	}

}
