package dev.jobexec.monitoring;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.Tools;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus scrapes the service, with the shipped alert rules loaded, and its
 * HTTP API answers the questions the dashboard asks.
 */
@JobexecHttpTest
class PrometheusTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Autowired
	Api api;

	@LocalServerPort
	int port;

	@TempDir
	Path dir;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private Process prometheus;

	private String prometheusUrl;

	@AfterEach
	void stopPrometheus() throws InterruptedException {
		if (prometheus != null) {
			prometheus.destroy();
			if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
				prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
	}

	@Test
	void prometheusScrapesTheServiceAndReadsQuantilesPastThirtySeconds() throws Exception {
		Path binary = Tools.require("prometheus");
		// The long job first: the other checks run while it does.
		String longJob = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT35S\"}}");
		startPrometheus(binary);

		awaitValue("up{job=\"jobexec\"}", (up) -> up == 1);
		assertThat(query("count(jobexec_pool_max)")).isEqualTo(7);
		JsonNode rules = get("/api/v1/rules").get("data").get("groups").get(0).get("rules");
		assertThat(rules.size()).isEqualTo(7);
		rules.forEach((rule) -> assertThat(rule.get("health").asString()).as(rule.toString()).isEqualTo("ok"));

		for (int i = 0; i < 5; i++) {
			api.awaitEnd(api.submitId("{\"command\":[\"/bin/true\"]}"));
		}
		awaitValue("sum(rate(jobexec_jobs_submitted_total[15s]))", (rate) -> rate > 0);

		assertThat(api.awaitEnd(longJob).get("state")).isEqualTo("SUCCEEDED");
		// 35 s lies between the bounds 30 s and 60 s; Micrometer's default buckets
		// stopped at 30 s.
		double p99 = awaitValue(
				"histogram_quantile(0.99, sum by (le) (rate(jobexec_jobs_duration_seconds_bucket{pool=\"thread\",state=\"SUCCEEDED\"}[1m])))",
				(quantile) -> quantile > 30);
		assertThat(p99).isLessThanOrEqualTo(60);
	}

	private void startPrometheus(Path binary) throws IOException {
		int prometheusPort;
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			prometheusPort = socket.getLocalPort();
		}
		Path rules = Path.of("ops/prometheus/jobexec-alerts.yml").toAbsolutePath();
		Path config = Files.writeString(dir.resolve("prometheus.yml"), """
				global:
				  scrape_interval: 1s
				  evaluation_interval: 1s
				rule_files:
				  - %s
				scrape_configs:
				  - job_name: jobexec
				    metrics_path: /actuator/prometheus
				    authorization:
				      type: Bearer
				      credentials: %s
				    static_configs:
				      - targets: ['127.0.0.1:%d']
				""".formatted(rules, Api.KEY, port));
		prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
				"--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
			.redirectErrorStream(true)
			.redirectOutput(dir.resolve("prometheus.log").toFile())
			.start();
		prometheusUrl = "http://127.0.0.1:" + prometheusPort;
		Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(200))
			.failFast(() -> !prometheus.isAlive())
			.ignoreExceptions()
			.until(() -> http
				.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/-/ready")).build(),
						HttpResponse.BodyHandlers.discarding())
				.statusCode() == 200);
	}

	/** Waits until the query has a value that passes {@code check}, and returns it. */
	private double awaitValue(String promql, java.util.function.DoublePredicate check) {
		return Awaitility.await(promql)
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(500))
			.until(() -> query(promql), (value) -> value != null && check.test(value));
	}

	/** The value of an instant query with one result, or null when it has none. */
	private Double query(String promql) throws Exception {
		JsonNode result = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).get("data")
			.get("result");
		return result.isEmpty() ? null : Double.valueOf(result.get(0).get("value").get(1).asString());
	}

	private JsonNode get(String path) throws Exception {
		HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + path)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as("%s: %s", path, response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

}
