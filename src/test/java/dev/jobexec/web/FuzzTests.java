package dev.jobexec.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import lombok.extern.slf4j.Slf4j;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hundreds of random and adversarial submissions: wrong types, huge numbers, deep
 * nesting, invalid UTF-8, huge strings, unknown fields, NUL bytes, broken JSON. Every
 * answer must be a 4xx problem or an acceptance, never a 5xx, and the service must stay
 * healthy. The seed is logged and can be replayed with {@code -Djobexec.fuzz.seed=N}.
 */
@Slf4j
@JobexecHttpTest
class FuzzTests {

	private static final int CASES = 500;

	private static final List<String> FIELDS = List.of("pool", "command", "task", "params", "stdin", "env",
			"workingDirectory", "timeout", "daemon", "labels");

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private Random random;

	@Test
	void noSubmissionEverGetsA5xxAndTheServiceStaysHealthy() throws Exception {
		long seed = Long.getLong("jobexec.fuzz.seed", System.nanoTime());
		log.info("Fuzzing with seed {} (replay with -Djobexec.fuzz.seed={})", seed, seed);
		random = new Random(seed);
		List<Supplier<byte[]>> generators = List.of(this::mutatedJob, this::mutatedJob, this::mutatedJob,
				this::deepNesting, this::invalidUtf8, this::brokenJson, this::randomBytes, this::hugeString,
				this::hugeNumbers);
		int accepted = 0;
		for (int i = 0; i < CASES; i++) {
			byte[] body = generators.get(random.nextInt(generators.size())).get();
			HttpResponse<String> response = post(body);
			int status = response.statusCode();
			String shown = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
			assertThat(status).as("case %d (seed %d): %s -> %s", i, seed, shown, response.body())
				.satisfiesAnyOf((s) -> assertThat(s).isIn(200, 202), (s) -> assertThat(s).isBetween(400, 499));
			if (status >= 400) {
				assertThat(response.headers().firstValue("Content-Type")).as("case %d: %s", i, shown)
					.hasValueSatisfying((type) -> assertThat(type).startsWith("application/problem+json"));
				assertThat(response.body()).contains("\"status\":" + status);
			}
			else {
				accepted++;
			}
		}
		log.info("Fuzzing: {} of {} bodies were valid jobs and accepted", accepted, CASES);
		api.anonymous()
			.get()
			.uri("/actuator/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP");
		assertThat(api.awaitEnd(api.submitId("{\"command\":[\"/bin/echo\",\"still fine\"]}"))).containsEntry("state",
				"SUCCEEDED");
	}

	private HttpResponse<String> post(byte[] body) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/jobs"))
			.header("Content-Type", "application/json")
			.header("X-API-Key", Api.KEY)
			.timeout(Duration.ofSeconds(30))
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	/**
	 * A plausible job with some fields dropped, replaced by values of the wrong shape, or
	 * added.
	 */
	private byte[] mutatedJob() {
		List<String> parts = new ArrayList<>();
		boolean process = random.nextBoolean();
		if (process) {
			parts.add("\"command\":"
					+ oneOf("[\"/bin/true\"]", "[\"/bin/echo\"," + string() + "]", "[]", "[null]", "\"/bin/true\"",
							"[\"true\"]", "[\"/bin/../bin/true\"]", "[\"/etc/passwd\"]", "[" + string() + "]"));
		}
		else {
			parts.add("\"task\":" + oneOf("\"echo\"", "\"fail\"", "\"sleep\"", "\"nope\"", "\"\"", string()));
			parts.add("\"params\":" + oneOf("{}", "{\"message\":" + value() + "}",
					"{\"duration\":" + oneOf("\"PT0.01S\"", "\"P1000000000D\"", "\"-PT1S\"", "5", "\"x\"") + "}",
					value()));
		}
		for (String field : FIELDS) {
			if (random.nextInt(4) == 0) {
				parts.add("\"" + field + "\":" + fieldValue(field));
			}
		}
		if (random.nextInt(5) == 0) {
			parts.add("\"" + oneOf("bogus", "timeOut", "__proto__", "command ", "") + "\":" + value());
		}
		java.util.Collections.shuffle(parts, random);
		return ("{" + String.join(",", parts) + "}").getBytes(StandardCharsets.UTF_8);
	}

	private String fieldValue(String field) {
		return switch (field) {
			case "timeout" -> oneOf("\"PT1S\"", "\"PT0S\"", "\"-PT5S\"", "\"P99999999999D\"", "\"PT2H\"", "\"soon\"",
					"30", "1e308", "-1", "\"PT0.000000001S\"", value());
			case "daemon" -> oneOf("true", "false", "\"yes\"", "1", "null", value());
			case "env" -> oneOf("{\"A\":\"b\"}", "{\"LD_PRELOAD\":\"x\"}", "{\"1A\":\"b\"}", "{\"A\":null}",
					"{\"A\":\"b\\u0000c\"}", "{\"A\":1}", "[]", value());
			case "labels" ->
				oneOf("{\"team\":\"a\"}", "{\"\":\"a\"}", "{\"a:b\":\"c\"}", "{\"a\":null}", "{\"a\":[1]}", value());
			case "workingDirectory" -> oneOf("\"..\"", "\"/etc\"", "\"a\\u0000b\"", "\"nope\"", "\"\"", value());
			case "pool" -> oneOf("\"process\"", "\"thread\"", "\"nope\"", "\"\"", "null", value());
			default -> value();
		};
	}

	private String value() {
		return switch (random.nextInt(10)) {
			case 0 -> string();
			case 1 -> Long.toString(random.nextLong());
			case 2 -> "1" + "0".repeat(random.nextInt(400)) + (random.nextBoolean() ? ".5e999" : "");
			case 3 -> random.nextBoolean() ? "true" : "false";
			case 4 -> "null";
			case 5 -> "[" + string() + "," + random.nextInt() + "]";
			case 6 -> "{\"" + random.nextInt(100) + "\":" + string() + "}";
			case 7 -> "-0.0";
			case 8 -> "\"\\ud800\"";
			default -> "\"\\u0000\"";
		};
	}

	private String string() {
		StringBuilder text = new StringBuilder("\"");
		int length = random.nextInt(40);
		for (int i = 0; i < length; i++) {
			int kind = random.nextInt(6);
			if (kind == 0) {
				text.append("\\u").append(String.format("%04x", random.nextInt(0x10000)));
			}
			else if (kind == 1) {
				text.append(
						oneOf("\\n", "\\\\", "\\\"", "../", "$(id)", "`id`", ";", "|", "%s", "\u00e9", "\ud83d\ude00"));
			}
			else {
				text.append((char) ('a' + random.nextInt(26)));
			}
		}
		return text.append('"').toString();
	}

	private byte[] deepNesting() {
		int depth = 500 + random.nextInt(5000);
		String open = random.nextBoolean() ? "[" : "{\"a\":";
		String close = open.equals("[") ? "]" : "}";
		return ("{\"task\":\"echo\",\"params\":{\"message\":" + open.repeat(depth) + "1" + close.repeat(depth) + "}}")
			.getBytes(StandardCharsets.UTF_8);
	}

	private byte[] invalidUtf8() {
		byte[] prefix = "{\"command\":[\"/bin/echo\",\"".getBytes(StandardCharsets.UTF_8);
		byte[][] bad = { { (byte) 0xC3, 0x28 }, { (byte) 0xFF }, { (byte) 0xE2, (byte) 0x82 },
				{ (byte) 0xC0, (byte) 0x80 }, { (byte) 0xED, (byte) 0xA0, (byte) 0x80 },
				{ (byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80 } };
		byte[] middle = bad[random.nextInt(bad.length)];
		byte[] suffix = "\"]}".getBytes(StandardCharsets.UTF_8);
		byte[] body = new byte[prefix.length + middle.length + suffix.length];
		System.arraycopy(prefix, 0, body, 0, prefix.length);
		System.arraycopy(middle, 0, body, prefix.length, middle.length);
		System.arraycopy(suffix, 0, body, prefix.length + middle.length, suffix.length);
		return body;
	}

	private byte[] brokenJson() {
		String valid = "{\"command\":[\"/bin/true\"],\"labels\":{\"a\":\"b\"}}";
		return switch (random.nextInt(6)) {
			case 0 -> valid.substring(0, random.nextInt(valid.length())).getBytes(StandardCharsets.UTF_8);
			case 1 -> (valid + valid).getBytes(StandardCharsets.UTF_8);
			case 2 -> "{\"command\":[\"/bin/true\"],\"command\":[\"/bin/echo\"]}".getBytes(StandardCharsets.UTF_8);
			case 3 -> ("\uFEFF" + valid).getBytes(StandardCharsets.UTF_8);
			case 4 -> new byte[0];
			default -> "   \n\t ".getBytes(StandardCharsets.UTF_8);
		};
	}

	private byte[] randomBytes() {
		byte[] bytes = new byte[random.nextInt(2000)];
		random.nextBytes(bytes);
		return bytes;
	}

	private byte[] hugeString() {
		int size = (random.nextBoolean() ? 100 : 700) * 1024;
		return ("{\"task\":\"echo\",\"params\":{\"message\":\"" + "z".repeat(size) + "\"}}")
			.getBytes(StandardCharsets.UTF_8);
	}

	private byte[] hugeNumbers() {
		String number = oneOf("1" + "0".repeat(5000), "-" + "9".repeat(3000), "1e99999", "0." + "0".repeat(3000) + "1",
				"9223372036854775808", "NaN", "Infinity");
		return ("{\"command\":[\"/bin/true\"],\"timeout\":" + number + "}").getBytes(StandardCharsets.UTF_8);
	}

	private String oneOf(String... choices) {
		return choices[random.nextInt(choices.length)];
	}

}
