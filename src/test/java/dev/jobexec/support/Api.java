package dev.jobexec.support;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.awaitility.Awaitility;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestComponent;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.test.web.servlet.client.EntityExchangeResult;
import org.springframework.test.web.servlet.client.RestTestClient;
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job API as a client uses it, over real HTTP: to the service of a
 * {@link JobexecHttpTest} (injected), or to one running in another JVM
 * ({@link ServiceProcess#api()}).
 */
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

	/** How long a job may take to start running (or reach any other state but an end). */
	private static final Duration START_DEADLINE = Duration.ofSeconds(30);

	/** How long a job may take to end. */
	private static final Duration END_DEADLINE = Duration.ofSeconds(60);

	private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "LOST");

	private final RestTestClient client;

	private final RestTestClient anonymous;

	@Autowired
	public Api(RestTestClient client) {
		this(client, KEY);
	}

	private Api(RestTestClient anonymous, String key) {
		this.anonymous = anonymous;
		this.client = anonymous.mutate().defaultHeader("X-API-Key", key).build();
	}

	/**
	 * The API of a service listening at {@code baseUrl}, such as one started in another
	 * JVM: connecting may take 5 s, a request 60 s.
	 */
	public static Api at(String baseUrl) {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
		JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(http);
		requests.setReadTimeout(Duration.ofSeconds(60));
		return new Api(RestTestClient.bindToServer(requests).baseUrl(baseUrl).build());
	}

	/**
	 * The same API with another key (for example one the service generated and logged).
	 */
	public Api withKey(String key) {
		return new Api(anonymous, key);
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
		return postTo("/api/v1/jobs", body, headers);
	}

	/** POSTs a batch of jobs and returns the whole exchange. */
	public EntityExchangeResult<Map<String, Object>> postBatch(String body, String... headers) {
		return postTo("/api/v1/jobs/batch", body, headers);
	}

	private EntityExchangeResult<Map<String, Object>> postTo(String path, String body, String... headers) {
		RestTestClient.RequestHeadersSpec<?> request = client.post()
			.uri(path)
			.contentType(MediaType.APPLICATION_JSON)
			.body(body);
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return request.exchange().returnResult(JSON);
	}

	/**
	 * The jobs of one page of {@code GET /api/v1/jobs?<query>}, which must answer 200.
	 */
	public List<Map<String, Object>> listed(String query, Object... variables) {
		return list(client.get()
			.uri("/api/v1/jobs?" + query, variables)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(JSON)
			.getResponseBody()
			.get("items"));
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

	/**
	 * GETs a job, the request held until the job ends or {@code wait} (an ISO-8601
	 * duration) elapses.
	 */
	public RestTestClient.ResponseSpec longPoll(String id, String wait) {
		return client.get().uri("/api/v1/jobs/{id}?wait={wait}", id, wait).exchange();
	}

	/**
	 * The status a GET of {@code path} answers with; -1 when the service does not take
	 * the connection (not listening yet, or any more).
	 */
	public int statusOf(String path) {
		try {
			return client.get().uri(path).exchange().returnResult().getStatus().value();
		}
		catch (ResourceAccessException ex) {
			return -1;
		}
	}

	/** Long-polls until the job has ended; fails after a generous deadline. */
	public Map<String, Object> awaitEnd(String id) {
		return Awaitility.await()
			.atMost(END_DEADLINE)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> longPoll(id, "PT5S").expectStatus().isOk().returnResult(JSON).getResponseBody(),
					(job) -> isTerminal(job.get("state")));
	}

	/** Waits until the job runs and returns it (with its pid, for a process job). */
	public Map<String, Object> awaitRunning(String id) {
		return awaitState(id, "RUNNING");
	}

	/**
	 * Waits until the job is in {@code state} and returns it. An end is awaited as by
	 * {@link #awaitEnd}, and any other end fails at once: a job never leaves its end.
	 */
	public Map<String, Object> awaitState(String id, String state) {
		if (isTerminal(state)) {
			Map<String, Object> job = awaitEnd(id);
			assertThat(job.get("state")).as("state of job %s: %s", id, job).isEqualTo(state);
			return job;
		}
		return Awaitility.await()
			.atMost(START_DEADLINE)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> get(id), (job) -> state.equals(job.get("state")));
	}

	/** The Prometheus scrape, as a Prometheus server reads it. */
	public String scrape() {
		return client.get()
			.uri("/actuator/prometheus")
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(String.class)
			.getResponseBody();
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
