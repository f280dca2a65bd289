package dev.jobexec.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import dev.jobexec.cluster.Node;
import dev.jobexec.cluster.NodeRegistry;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobService;
import dev.jobexec.problem.Problems;
import jakarta.servlet.http.HttpServletRequest;
import lombok.extern.slf4j.Slf4j;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;

/**
 * Cluster mode: a submission for a pool this node does not serve, but a live node does,
 * is passed to that node (at its advertised URL), which validates, stores and answers it;
 * its answer is relayed as it is. Pools may thus differ between nodes while clients send
 * every submission to any node. A forwarded submission is never forwarded again.
 */
@Slf4j
@Component
class SubmissionForwarder {

	/** Marks a forwarded submission, naming the node that forwarded it. */
	static final String FORWARDED_BY = "X-Jobexec-Forwarded-By";

	/** The request headers the serving node needs to answer as this one would have. */
	private static final List<String> PASSED_ON = List.of(HttpHeaders.AUTHORIZATION, "X-API-Key", "Prefer",
			"Idempotency-Key");

	/** The answer headers a client reads. */
	private static final List<String> RELAYED = List.of(HttpHeaders.LOCATION, HttpHeaders.RETRY_AFTER,
			"Preference-Applied", "Idempotency-Replayed");

	private final NodeRegistry registry;

	private final PoolRouter router;

	private final JsonMapper json;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	SubmissionForwarder(ObjectProvider<NodeRegistry> registry, PoolRouter router, JsonMapper json) {
		this.registry = registry.getIfAvailable();
		this.router = router;
		this.json = json;
	}

	/**
	 * The URL of a live node that serves the pool of {@code request}, when this node does
	 * not and the request was not forwarded already.
	 */
	Optional<String> servingNode(JobRequest request, HttpServletRequest incoming) {
		String pool = JobService.poolOf(request);
		if (registry == null || !registry.enabled() || router.exists(pool)
				|| incoming.getHeader(FORWARDED_BY) != null) {
			return Optional.empty();
		}
		List<String> urls = registry.nodes()
			.stream()
			.filter((node) -> node.state().equals("ACTIVE") && !node.id().equals(registry.nodeId()))
			.filter((node) -> node.pools().stream().map(Node.Pool::name).anyMatch(pool::equals))
			.map(Node::url)
			.toList();
		return urls.isEmpty() ? Optional.empty()
				: Optional.of(urls.get(ThreadLocalRandom.current().nextInt(urls.size())));
	}

	/**
	 * Submits {@code request} to the node at {@code url} and answers what it answered:
	 * the job, or its problem (thrown, so that the problem advice writes it).
	 */
	ResponseEntity<JobView> forward(String url, JobRequest request, HttpServletRequest incoming, Duration wait) {
		HttpRequest.Builder forwarded = HttpRequest.newBuilder(URI.create(url + "/api/v1/jobs"))
			.timeout(wait.plusSeconds(30))
			.header(HttpHeaders.CONTENT_TYPE, "application/json")
			.header(HttpHeaders.ACCEPT, "application/json, application/problem+json")
			.header(FORWARDED_BY, registry.nodeId())
			.POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(request)));
		for (String name : PASSED_ON) {
			String value = incoming.getHeader(name);
			if (value != null) {
				forwarded.header(name, value);
			}
		}
		HttpResponse<String> answer;
		try {
			answer = http.send(forwarded.build(), HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw unreachable(url, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw unreachable(url, ex);
		}
		HttpHeaders headers = new HttpHeaders();
		for (String name : RELAYED) {
			answer.headers().firstValue(name).ifPresent((value) -> headers.set(name, value));
		}
		HttpStatus status = HttpStatus.valueOf(answer.statusCode());
		if (status.is2xxSuccessful()) {
			return ResponseEntity.status(status).headers(headers).body(json.readValue(answer.body(), JobView.class));
		}
		ErrorResponseException problem = new ErrorResponseException(status,
				json.readValue(answer.body(), ProblemDetail.class), null);
		problem.getHeaders().addAll(headers);
		throw problem;
	}

	private static ErrorResponseException unreachable(String url, Exception cause) {
		log.warn("Could not forward a submission to {}: {}", url, cause.getMessage());
		ErrorResponseException problem = new ErrorResponseException(HttpStatus.SERVICE_UNAVAILABLE,
				Problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "node-unavailable", "Node unavailable",
						"This node does not serve the job's pool, and the node that does could not be reached; "
								+ "retry later"),
				cause);
		problem.getHeaders().set(HttpHeaders.RETRY_AFTER, "2");
		return problem;
	}

}
