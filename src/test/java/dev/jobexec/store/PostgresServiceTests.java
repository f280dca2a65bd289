package dev.jobexec.store;

import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.Postgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.resttestclient.autoconfigure.AutoConfigureRestTestClient;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole service on a real PostgreSQL store: jobs run and are listed, a store that
 * cannot be written answers 503 and turns health down, and the service recovers when the
 * store does.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = "jobexec.security.api-keys=" + Api.KEY)
@AutoConfigureRestTestClient
@Import(Api.class)
class PostgresServiceTests {

	private static String url;

	@Autowired
	Api api;

	/**
	 * Runs before the context loads: without a server the class is skipped (or fails, in
	 * CI).
	 */
	@BeforeAll
	static void schema() {
		url = Postgres.freshSchemaUrl();
	}

	@DynamicPropertySource
	static void postgres(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", () -> url);
		registry.add("spring.datasource.username", () -> Postgres.USER);
		registry.add("spring.datasource.password", () -> Postgres.PASSWORD);
	}

	@Test
	void jobsRunOnAPostgresStore() {
		String id = api.submitId("{\"command\":[\"/bin/echo\",\"stored in postgres\"],\"labels\":{\"db\":\"pg\"}}");
		Map<String, Object> job = api.awaitEnd(id);
		assertThat(job).containsEntry("state", "SUCCEEDED");
		assertThat(Api.map(job.get("stdout"))).containsEntry("text", "stored in postgres\n");
		api.client()
			.get()
			.uri("/api/v1/jobs?label=db:pg")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.items[0].id")
			.isEqualTo(id);
	}

	@Test
	void aStoreThatCannotBeWrittenAnswers503AndHealthDownUntilItRecovers() {
		String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
		Postgres.execute("revoke insert, update, delete on all tables in schema " + schema + " from " + Postgres.USER);
		try {
			EntityExchangeResult<Map<String, Object>> refused = api.post("{\"command\":[\"/bin/true\"]}");
			assertThat(refused.getStatus().value()).isEqualTo(503);
			assertThat(refused.getResponseHeaders().getContentType().isCompatibleWith(Api.PROBLEM)).isTrue();
			assertThat(refused.getResponseHeaders().getFirst("Retry-After")).isNotNull();
			assertThat(refused.getResponseBody()).containsEntry("status", 503)
				.containsEntry("type", "https://jobexec.dev/problems/store-unavailable");
			api.client()
				.get()
				.uri("/actuator/health")
				.exchange()
				.expectStatus()
				.isEqualTo(503)
				.expectBody()
				.jsonPath("$.components.jobStore.status")
				.isEqualTo("DOWN")
				.jsonPath("$.components.jobStore.details.writable")
				.isEqualTo(false);
		}
		finally {
			Postgres.execute("grant insert, update, delete on all tables in schema " + schema + " to " + Postgres.USER);
		}
		api.client()
			.get()
			.uri("/actuator/health/jobStore")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP");
		assertThat(api.awaitEnd(api.submitId("{\"command\":[\"/bin/true\"]}"))).containsEntry("state", "SUCCEEDED");
	}

}
