package dev.jobexec.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.awaitility.Awaitility;

import org.springframework.boot.test.context.TestComponent;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.EntityExchangeResult;
import org.springframework.test.web.servlet.client.RestTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/** The job API as a client uses it, over real HTTP. */
@TestComponent
public class Api {

	public static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
	};

	public static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

	/**
	 * The API key the test services accept, and a second one, as during a key rotation.
	 */
	public static final String KEY = "test-key-0123456789";

	public static final String ROTATED_KEY = "rotated-key-0123456789";

	private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "LOST");

	private final RestTestClient client;

	private final RestTestClient anonymous;

	public Api(RestTestClient client) {
		this.anonymous = client;
		this.client = client.mutate().defaultHeader("X-API-Key", KEY).build();
	}

	/** A client that gives the API key. */
	public RestTestClient client() {
		return client;
	}

	/** A client that gives no API key. */
	public RestTestClient anonymous() {
		return anonymous;
	}

	/** POSTs a job and returns the whole exchange. */
	public EntityExchangeResult<Map<String, Object>> post(String body, String... headers) {
		RestTestClient.RequestHeadersSpec<?> request = client.post()
			.uri("/api/v1/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.body(body);
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return request.exchange().returnResult(JSON);
	}

	/** POSTs a job that must be accepted with 202, and returns it. */
	public Map<String, Object> submit(String body) {
		EntityExchangeResult<Map<String, Object>> result = post(body);
		assertThat(result.getStatus().value()).as("status of POST %s: %s", body, result.getResponseBody())
			.isEqualTo(202);
		return result.getResponseBody();
	}

	public String submitId(String body) {
		return (String) submit(body).get("id");
	}

	public Map<String, Object> get(String id) {
		return client.get()
			.uri("/api/v1/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(JSON)
			.getResponseBody();
	}

	/** Long-polls until the job has ended; fails after a generous deadline. */
	public Map<String, Object> awaitEnd(String id) {
		return Awaitility.await()
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(10))
			.until(() -> client.get()
				.uri("/api/v1/jobs/{id}?wait=PT5S", id)
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(JSON)
				.getResponseBody(), (job) -> TERMINAL.contains((String) job.get("state")));
	}

	/** Waits until the job runs and returns it (with its pid, for a process job). */
	public Map<String, Object> awaitRunning(String id) {
		return Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> get(id), (job) -> "RUNNING".equals(job.get("state")));
	}

	public static boolean isTerminal(Object state) {
		return TERMINAL.contains((String) state);
	}

	@SuppressWarnings("unchecked")
	public static Map<String, Object> map(Object value) {
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	public static List<Map<String, Object>> list(Object value) {
		return (List<Map<String, Object>>) value;
	}

	public static long pid(Map<String, Object> job) {
		return ((Number) job.get("pid")).longValue();
	}

}
