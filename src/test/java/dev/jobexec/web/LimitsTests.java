package dev.jobexec.web;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every limit on a submission is configurable and answered with a clear 4xx problem
 * naming it. The test service runs with: max-request-size 512KB, max-stdin 128KB, 64
 * arguments, 8 env variables, 8 labels.
 */
@JobexecHttpTest
class LimitsTests {

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	@Test
	void aBodyLargerThanTheLimitIs413() {
		String body = "{\"command\":[\"/bin/echo\",\"" + "x".repeat(600 * 1024) + "\"]}";
		EntityExchangeResult<Map<String, Object>> result = api.post(body);
		assertThat(result.getStatus().value()).isEqualTo(413);
		assertThat(result.getResponseHeaders().getContentType().isCompatibleWith(Api.PROBLEM)).isTrue();
		assertThat((String) result.getResponseBody().get("detail")).contains("jobexec.limits.max-request-size");
	}

	@Test
	void aChunkedBodyThatGrowsPastTheLimitIs413Too() throws Exception {
		byte[] body = ("{\"command\":[\"/bin/echo\",\"" + "x".repeat(600 * 1024) + "\"]}").getBytes();
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/jobs"))
				.header("Content-Type", "application/json")
				.header("X-API-Key", Api.KEY)
				.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(413);
		assertThat(response.body()).contains("max-request-size");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = {
			"stdin over max-stdin | stdin | {\"command\":[\"/bin/cat\"],\"stdin\":\"%s\"}",
			"too many arguments | command | {\"command\":[\"/bin/echo\"%s]}",
			"too many env variables | env | {\"command\":[\"/bin/true\"],\"env\":{%s}}",
			"too many labels | labels | {\"command\":[\"/bin/true\"],\"labels\":{%s}}",
			"label value too long | labels | {\"command\":[\"/bin/true\"],\"labels\":{\"k\":\"%s\"}}",
			"LD_PRELOAD | env | {\"command\":[\"/bin/true\"],\"env\":{\"LD_PRELOAD\":\"/tmp/evil.so\"}}%s",
			"LD_LIBRARY_PATH | env | {\"command\":[\"/bin/true\"],\"env\":{\"LD_LIBRARY_PATH\":\"/tmp\"}}%s",
			"BASH_ENV | env | {\"command\":[\"/bin/true\"],\"env\":{\"BASH_ENV\":\"/tmp/x\"}}%s",
			"jobexec's own variable | env | {\"command\":[\"/bin/true\"],\"env\":{\"JOBEXEC_JOB_ID\":\"x\"}}%s",
			"NUL in an argument | command | {\"command\":[\"/bin/echo\",\"a\\u0000b\"]}%s",
			"NUL in an env value | env | {\"command\":[\"/bin/true\"],\"env\":{\"A\":\"a\\u0000b\"}}%s",
			"NUL in the working directory | workingDirectory | {\"command\":[\"/bin/true\"],\"workingDirectory\":\"a\\u0000b\"}%s",
			"NUL in the executable | command | {\"command\":[\"/bin/tr\\u0000ue\"]}%s",
			"timeout above max-timeout | timeout | {\"command\":[\"/bin/true\"],\"timeout\":\"PT2H\"}%s" })
	void eachLimitIsA400NamingTheField(String limit, String field, String template) {
		String filler = switch (limit) {
			case "stdin over max-stdin" -> "x".repeat(130 * 1024);
			case "too many arguments" -> ",\"a\"".repeat(64);
			case "too many env variables" -> entries(9);
			case "too many labels" -> entries(9);
			case "label value too long" -> "v".repeat(257);
			default -> "";
		};
		EntityExchangeResult<Map<String, Object>> result = api.post(template.formatted(filler));
		assertThat(result.getStatus().value()).as(limit).isEqualTo(400);
		assertThat(map(result.getResponseBody().get("errors"))).as(limit).containsKey(field);
	}

	@Test
	void loaderVariablesNameTheSettingThatWouldAllowThem() {
		EntityExchangeResult<Map<String, Object>> result = api
			.post("{\"command\":[\"/bin/true\"],\"env\":{\"LD_PRELOAD\":\"/tmp/evil.so\"}}");
		assertThat((String) map(result.getResponseBody().get("errors")).get("env"))
			.contains("jobexec.process.allowed-env-overrides");
	}

	private static String entries(int count) {
		StringBuilder entries = new StringBuilder();
		for (int i = 0; i < count; i++) {
			entries.append((i > 0) ? "," : "").append("\"K").append(i).append("\":\"v\"");
		}
		return entries.toString();
	}

}
