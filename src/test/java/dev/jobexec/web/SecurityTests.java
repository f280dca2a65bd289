package dev.jobexec.web;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** API keys guard every call but health; a missing or wrong key is a 401 problem. */
@JobexecHttpTest
class SecurityTests {

	@Autowired
	Api api;

	@TempDir
	Path dir;

	@ParameterizedTest
	@ValueSource(strings = { "/api/v1/jobs", "/api/v1/pools", "/api/v1/tasks", "/api/v1/jobs/x/stdout",
			"/actuator/metrics", "/actuator/prometheus", "/actuator/jobpools", "/actuator/info", "/actuator" })
	void everyCallButHealthNeedsAKey(String path) {
		api.anonymous()
			.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isUnauthorized()
			.expectHeader()
			.valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"jobexec\"")
			.expectHeader()
			.contentTypeCompatibleWith(Api.PROBLEM)
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo(401)
			.jsonPath("$.detail")
			.value((detail) -> assertThat((String) detail).contains("X-API-Key"));
	}

	@Test
	void submittingWithoutAKeyRunsNothing() {
		api.anonymous()
			.post()
			.uri("/api/v1/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"command\":[\"/bin/true\"]}")
			.exchange()
			.expectStatus()
			.isUnauthorized();
	}

	@Test
	void aWrongKeyIsRefusedWhicheverWayItIsGiven() {
		api.anonymous()
			.get()
			.uri("/api/v1/pools")
			.header("X-API-Key", "wrong-key-0123456789")
			.exchange()
			.expectStatus()
			.isUnauthorized()
			.expectBody()
			.jsonPath("$.detail")
			.isEqualTo("The API key is not valid");
		api.anonymous()
			.get()
			.uri("/api/v1/pools")
			.header(HttpHeaders.AUTHORIZATION, "Bearer wrong-key-0123456789")
			.exchange()
			.expectStatus()
			.isUnauthorized();
		api.anonymous()
			.get()
			.uri("/api/v1/pools")
			.header(HttpHeaders.AUTHORIZATION, "Basic dXNlcjpwYXNz")
			.exchange()
			.expectStatus()
			.isUnauthorized();
	}

	@Test
	void keysWorkAsBearerTokenOrHeaderAndSeveralMayBeValidForRotation() {
		api.anonymous().get().uri("/api/v1/pools").header("X-API-Key", Api.KEY).exchange().expectStatus().isOk();
		api.anonymous()
			.get()
			.uri("/api/v1/pools")
			.header(HttpHeaders.AUTHORIZATION, "Bearer " + Api.KEY)
			.exchange()
			.expectStatus()
			.isOk();
		api.anonymous()
			.get()
			.uri("/api/v1/pools")
			.header("X-API-Key", Api.ROTATED_KEY)
			.exchange()
			.expectStatus()
			.isOk();
		api.anonymous()
			.get()
			.uri("/actuator/prometheus")
			.header("X-API-Key", Api.ROTATED_KEY)
			.exchange()
			.expectStatus()
			.isOk();
	}

	@Test
	void aMissingKeyIsAProblemWhateverTheClientAccepts() {
		for (String accept : List.of("///", "text/html", "image/png")) {
			api.anonymous()
				.get()
				.uri("/api/v1/pools")
				.header("Accept", accept)
				.exchange()
				.expectStatus()
				.isUnauthorized()
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM)
				.expectBody()
				.jsonPath("$.status")
				.isEqualTo(401);
		}
	}

	@Test
	void healthShowsItsDetailsOnlyToCallersWithAKey() {
		api.anonymous()
			.get()
			.uri("/actuator/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP")
			.jsonPath("$.components")
			.doesNotExist()
			.jsonPath("$.details")
			.doesNotExist();
		// A component is a detail too: without a key it is not there.
		api.anonymous()
			.get()
			.uri("/actuator/health/reaper")
			.header("X-API-Key", "stale-key-0123456789")
			.exchange()
			.expectStatus()
			.isNotFound();
		api.client()
			.get()
			.uri("/actuator/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.components.jobStore.details.writable")
			.isEqualTo(true)
			.jsonPath("$.components.reaper.details.subreaper")
			.exists();
	}

	@Test
	void healthStaysOpenToProbesEvenWithAStaleKey() {
		for (String path : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
			api.anonymous().get().uri(path).exchange().expectStatus().isOk();
			api.anonymous()
				.get()
				.uri(path)
				.header("X-API-Key", "stale-key-0123456789")
				.exchange()
				.expectStatus()
				.isOk();
		}
	}

	@Test
	void swaggerUiAndTheApiDocumentAreReadableAndOfferBothWaysToGiveTheKey() {
		api.anonymous().get().uri("/swagger-ui/index.html").exchange().expectStatus().isOk();
		api.anonymous()
			.get()
			.uri("/v3/api-docs")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.components.securitySchemes.bearer.scheme")
			.isEqualTo("bearer")
			.jsonPath("$.components.securitySchemes.apiKey.name")
			.isEqualTo("X-API-Key")
			.jsonPath("$.security[*]")
			.isNotEmpty();
	}

	@Test
	void withNoKeyConfiguredTheServiceGeneratesOneAndLogsItOnce() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, List.of(), "--jobexec.security.api-keys=")) {
			Matcher generated = Pattern.compile("Using generated API key: (\\S+)").matcher(service.log());
			assertThat(generated.find()).as("the log names the generated key").isTrue();
			assertThat(generated.find()).as("only once").isFalse();
			generated.reset().find();
			assertThat(service.api().post("{\"task\":\"echo\"}").getStatus().value()).isEqualTo(401);
			Api withGeneratedKey = service.api().withKey(generated.group(1));
			assertThat(withGeneratedKey.post("{\"task\":\"echo\"}").getStatus().value()).isEqualTo(202);
		}
	}

}
