package dev.jobexec.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/** Every error is an RFC 9457 problem with a 4xx status. */
@JobexecHttpTest
class ProblemDetailsTests {

	@Autowired
	Api api;

	private Map<String, Object> problem(EntityExchangeResult<Map<String, Object>> result, int status) {
		assertThat(result.getStatus().value()).as("status for %s", result.getResponseBody()).isEqualTo(status);
		assertThat(result.getResponseHeaders().getContentType()).isNotNull();
		assertThat(result.getResponseHeaders().getContentType().isCompatibleWith(Api.PROBLEM)).isTrue();
		assertThat(result.getResponseBody()).containsEntry("status", status).containsKeys("type", "title", "detail");
		return result.getResponseBody();
	}

	@Nested
	class InvalidBodies {

		@ParameterizedTest
		@ValueSource(strings = { "{}", "{\"command\":[\"/bin/true\"],\"task\":\"echo\"}", "{\"command\":[]}",
				"{\"command\":\"/bin/true\"}", "{\"command\":[\"/bin/true\"],\"unknown\":1}", "not json", "[]", "null",
				"{\"command\":[\"/bin/true\"],\"daemon\":\"maybe\"}", "{\"command\":[\"/usr/bin/no-such-binary\"]}",
				"{\"command\":[\"/bin/true\"],\"env\":{\"BAD-NAME\":\"x\"}}",
				"{\"command\":[\"/bin/true\"],\"workingDirectory\":\"../../..\"}",
				"{\"command\":[\"/bin/true\"],\"workingDirectory\":\"/etc\"}",
				"{\"command\":[\"/bin/true\"],\"workingDirectory\":\"no-such-dir\"}",
				"{\"command\":[\"/bin/true\"],\"params\":{\"a\":1}}", "{\"task\":\"echo\",\"stdin\":\"x\"}",
				"{\"task\":\"sleep\",\"params\":{\"duration\":5}}", "{\"task\":\"sleep\",\"params\":{\"bogus\":1}}",
				"{\"task\":\"echo\",\"pool\":\"process\"}", "{\"command\":[\"/bin/true\"],\"pool\":\"thread\"}",
				"{\"command\":[\"/bin/true\"],\"timeout\":\"PT2H\"}",
				"{\"command\":[\"/bin/true\"],\"timeout\":\"-PT1S\"}",
				"{\"command\":[\"/bin/true\"],\"timeout\":\"PT0S\"}", "{\"command\":[\"/bin/true\",null]}" })
		void areRefusedWith400(String body) {
			problem(api.post(body), 400);
		}

		@Test
		void badDurationNamesTheField() {
			Map<String, Object> problem = problem(api.post("{\"command\":[\"/bin/true\"],\"timeout\":\"soon\"}"), 400);
			assertThat(map(problem.get("errors"))).containsKey("timeout");
			assertThat((String) problem.get("detail")).startsWith("timeout:");
		}

		@ParameterizedTest
		@CsvSource(delimiter = '|', textBlock = """
				{"command":"/bin/true"}                        | command: must be a JSON array
				{"command":["/bin/true"],"timeout":"soon"}     | timeout: must be an ISO-8601 duration such as PT30S
				{"command":["/bin/true"],"daemon":"maybe"}     | daemon: must be true or false
				{"command":["/bin/true"],"env":["A"]}          | env: must be a JSON object
				{"command":["/bin/true"],"unknown":1}          | unknown: is not a field of this request
				not json                                       | The body is not valid JSON (line 1, column
				""")
		void speaksTheClientsLanguageNotJavas(String body, String detail) {
			Map<String, Object> problem = problem(api.post(body), 400);
			assertThat((String) problem.get("detail")).startsWith(detail)
				.doesNotContain("java.", "`", "Feature", "Exception");
		}

		@Test
		void invalidTaskParametersAreListedByName() {
			Map<String, Object> problem = problem(
					api.post("{\"task\":\"cpu\",\"params\":{\"duration\":\"x\",\"cooperative\":\"no\"}}"), 400);
			assertThat(map(problem.get("errors"))).containsKeys("params.duration", "params.cooperative");
		}

		@Test
		void nothingIsStoredForARefusedSubmission() {
			String label = "refused-" + System.nanoTime();
			problem(api.post("{\"command\":[\"/bin/true\"],\"timeout\":\"PT9H\",\"labels\":{\"l\":\"" + label + "\"}}"),
					400);
			api.client()
				.get()
				.uri("/api/v1/jobs?label=l:" + label)
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.items.length()")
				.isEqualTo(0);
		}

		@Test
		void wrongContentTypeIs415() {
			api.client()
				.post()
				.uri("/api/v1/jobs")
				.contentType(MediaType.TEXT_PLAIN)
				.body("{}")
				.exchange()
				.expectStatus()
				.isEqualTo(415)
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM);
		}

	}

	@Nested
	class UnknownThings {

		@Test
		void unknownTaskIs404() {
			Map<String, Object> problem = problem(api.post("{\"task\":\"nope\"}"), 404);
			assertThat(problem).containsEntry("task", "nope");
		}

		@Test
		void unknownPoolIs404() {
			Map<String, Object> problem = problem(api.post("{\"pool\":\"nope\",\"command\":[\"/bin/true\"]}"), 404);
			assertThat(problem).containsEntry("pool", "nope");
		}

		@Test
		void unknownJobIs404() {
			api.client()
				.get()
				.uri("/api/v1/jobs/01a1fb9d-0000-7000-8000-000000000000")
				.exchange()
				.expectStatus()
				.isNotFound()
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM)
				.expectBody()
				.jsonPath("$.jobId")
				.isEqualTo("01a1fb9d-0000-7000-8000-000000000000");
			api.client()
				.get()
				.uri("/api/v1/jobs/ID")
				.exchange()
				.expectStatus()
				.isNotFound()
				.expectBody()
				.jsonPath("$.detail")
				.value((detail) -> assertThat((String) detail).contains("'ID' is not a job id")
					.doesNotContain("retention"));
			api.client().delete().uri("/api/v1/jobs/not-an-id").exchange().expectStatus().isNotFound();
			api.client().get().uri("/api/v1/jobs/not-an-id/stdout").exchange().expectStatus().isNotFound();
		}

		@Test
		void unknownPathIs404Problem() {
			api.client()
				.get()
				.uri("/api/v1/nothing-here")
				.exchange()
				.expectStatus()
				.isNotFound()
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM);
		}

	}

	@Nested
	class Queries {

		@ParameterizedTest
		@ValueSource(strings = { "/api/v1/jobs?state=DONE", "/api/v1/jobs?limit=0", "/api/v1/jobs?limit=501",
				"/api/v1/jobs?limit=lots", "/api/v1/jobs?label=nocolon", "/api/v1/jobs?cursor=xyz" })
		void badListingParametersAre400(String uri) {
			api.client()
				.get()
				.uri(uri)
				.exchange()
				.expectStatus()
				.isBadRequest()
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM);
		}

		@Test
		void badWaitIs400() {
			String id = api.submitId("{\"task\":\"echo\"}");
			api.client()
				.get()
				.uri("/api/v1/jobs/{id}?wait=soon", id)
				.exchange()
				.expectStatus()
				.isBadRequest()
				.expectBody()
				.jsonPath("$.errors.wait")
				.exists();
		}

		@Test
		void wrongMethodIs405() {
			api.client()
				.put()
				.uri("/api/v1/jobs")
				.contentType(MediaType.APPLICATION_JSON)
				.body("{}")
				.exchange()
				.expectStatus()
				.isEqualTo(405)
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM);
		}

	}

	@Test
	void commandOutsideTheAllowListIs403() throws Exception {
		Path script = Files.createDirectories(Path.of("target/test-data/bin")).resolve("not-allowed.sh");
		Files.writeString(script, "#!/bin/sh\necho should not run\n");
		Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
		Map<String, Object> problem = problem(api.post("{\"command\":[\"" + script.toAbsolutePath() + "\"]}"), 403);
		assertThat(problem).containsEntry("command", script.toRealPath().toString())
			.containsEntry("rule", "jobexec.process.allowed-commands");
		// A path through an allowed directory that leads elsewhere is matched on its real
		// path.
		problem(api.post("{\"command\":[\"/usr/bin/../.." + script.toRealPath() + "\"]}"), 403);
		// A path off the allow-list is refused before its existence is checked: the same
		// answer whether it exists or not.
		Map<String, Object> missing = problem(api.post("{\"command\":[\"/no/such/binary\"]}"), 403);
		Map<String, Object> existing = problem(api.post("{\"command\":[\"/etc/passwd\"]}"), 403);
		assertThat(missing.get("type")).isEqualTo(existing.get("type")).isEqualTo(problem.get("type"));
		assertThat(List.of(missing.get("detail"), existing.get("detail")))
			.noneSatisfy((detail) -> assertThat((String) detail).containsAnyOf("exist", "executable file"));
	}

}
