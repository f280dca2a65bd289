package dev.jobexec.api;

import java.util.List;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI document describes every endpoint with examples; Swagger UI is served. */
@JobexecHttpTest
class OpenApiTests {

	@Autowired
	Api api;

	@Test
	void documentDescribesEveryEndpointWithExamples() {
		api.client()
			.get()
			.uri("/v3/api-docs")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.paths['/api/v1/jobs'].post.requestBody.content['application/json'].examples.process.value")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs'].post.requestBody.content['application/json'].examples.task.value")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs'].post.responses['202']")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs'].post.responses['429']")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs'].get")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs/{id}'].get.parameters[?(@.name == 'wait')]")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs/{id}'].delete.responses['409']")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs/{id}/stdout'].get")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs/{id}/stderr'].get")
			.exists()
			.jsonPath("$.paths['/api/v1/pools'].get")
			.exists()
			.jsonPath("$.paths['/api/v1/pools/{name}'].get")
			.exists()
			.jsonPath("$.paths['/api/v1/tasks'].get")
			.exists()
			.jsonPath("$.components.schemas.JobRequest.properties.timeout.example")
			.isEqualTo("PT30S")
			.jsonPath("$.components.schemas.JobState.enum")
			.value((states) -> assertThat((List<Object>) states).contains("QUEUED", "RUNNING", "SUCCEEDED", "LOST"));
	}

	@Test
	void limitsAreTheConfiguredOnes() {
		// JobexecHttpTest configures max-arguments 64, max-env-entries 8, max-labels 8.
		String request = "$.components.schemas.JobRequest.properties.";
		api.client()
			.get()
			.uri("/v3/api-docs")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath(request + "command.anyOf[0].maxItems")
			.isEqualTo(64)
			.jsonPath(request + "command.anyOf[0].minItems")
			.isEqualTo(1)
			.jsonPath(request + "env.anyOf[0].maxProperties")
			.isEqualTo(8)
			.jsonPath(request + "labels.anyOf[0].maxProperties")
			.isEqualTo(8)
			.jsonPath(request + "command.anyOf[1].type")
			.isEqualTo("null");
	}

	@Test
	void everyOperationDocumentsItsErrorsAsProblems() {
		api.client()
			.get()
			.uri("/v3/api-docs")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.paths.*.*.responses['401'].$ref")
			.value((refs) -> assertThat((List<Object>) refs).hasSize(13)
				.containsOnly("#/components/responses/Unauthorized"))
			.jsonPath("$.paths['/api/v1/pools/{name}'].get.operationId")
			.isEqualTo("getPool")
			.jsonPath("$.paths['/api/v1/pools/{name}'].get.responses['200'].content['application/json'].schema.$ref")
			.isEqualTo("#/components/schemas/PoolSnapshot")
			.jsonPath("$.paths['/api/v1/pools/{name}'].get.responses['404'].content['application/problem+json']")
			.exists()
			.jsonPath("$.paths['/api/v1/jobs'].post.parameters[?(@.name == 'Prefer')].example")
			.doesNotExist()
			.jsonPath("$.components.examples.queue-full.value.type")
			.isEqualTo("https://jobexec.dev/problems/queue-full")
			.jsonPath("$.components.examples.queue-full.value.pool")
			.isEqualTo("process")
			.jsonPath("$.components.schemas.Problem.properties.errors")
			.exists();
	}

	@Test
	void swaggerUiIsServed() {
		api.client().get().uri("/swagger-ui.html").exchange().expectStatus().is3xxRedirection();
		api.client().get().uri("/swagger-ui/index.html").exchange().expectStatus().isOk();
	}

}
