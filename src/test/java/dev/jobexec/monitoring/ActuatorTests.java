package dev.jobexec.monitoring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** Health, metrics, Prometheus and the jobpools endpoint, over HTTP. */
@JobexecHttpTest
class ActuatorTests {

	@Autowired
	Api api;

	@Test
	void healthHasAJobPoolsComponentWithEachPool() {
		api.client()
			.get()
			.uri("/actuator/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP")
			.jsonPath("$.components.jobPools.status")
			.isEqualTo("UP")
			.jsonPath("$.components.jobPools.details.process.maxConcurrency")
			.isEqualTo(4)
			.jsonPath("$.components.jobPools.details.thread.stuckThreads")
			.exists();
		api.client().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
		api.client().get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
	}

	@Test
	void prometheusShowsEveryJobexecMeterWithPoolTags() {
		api.awaitEnd(api.submitId("{\"command\":[\"/bin/true\"]}"));
		String scrape = api.scrape();
		for (String series : List.of("jobexec_jobs_submitted_total{pool=\"process\"}",
				"jobexec_jobs_rejected_total{pool=\"process\",reason=\"queue_full\"}",
				"jobexec_jobs_finished_total{pool=\"process\",state=\"SUCCEEDED\"}",
				"jobexec_jobs_duration_seconds_count{pool=\"process\",state=\"SUCCEEDED\"}",
				"jobexec_jobs_queue_wait_seconds_count{pool=\"process\"}", "jobexec_pool_active{pool=\"process\"}",
				"jobexec_pool_max{pool=\"process\"} 4.0", "jobexec_pool_queued{pool=\"thread\"}",
				"jobexec_pool_queue_capacity{pool=\"thread\"} 1000.0", "jobexec_threads_stuck{pool=\"thread\"}",
				"jobexec_processes_live ", "jobexec_reaper_zombies_reaped_total ",
				"jobexec_reaper_orphans_killed_total ", "jobexec_reaper_scan_seconds_count ",
				"jobexec_store_writable 1.0")) {
			assertThat(scrape).contains(series);
		}
		assertThat(scrape).contains("# HELP jobexec_jobs_submitted_total Jobs accepted and stored");
	}

	@Test
	void theEmbeddedStoresFileLiveDataJournalAndWrittenBytesAreInHealthAndMetrics() throws InterruptedException {
		long before = written();
		api.awaitEnd(api.submitId("{\"command\":[\"/bin/echo\",\"footprint\"]}"));
		// The footprint is read at most every 5 s.
		Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).until(() -> written() > before);
		Map<String, Object> details = Api.map(Api.map(Api.map(api.client()
			.get()
			.uri("/actuator/health/jobStore")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(Api.JSON)
			.returnResult()
			.getResponseBody()).get("details")));
		long file = ((Number) details.get("fileBytes")).longValue();
		long live = ((Number) details.get("liveBytes")).longValue();
		assertThat(live).isPositive().isLessThanOrEqualTo(file);
		assertThat(((Number) details.get("writtenBytes")).longValue()).isPositive();
		// The journal holds at least its current segment's header.
		assertThat(((Number) details.get("journalBytes")).longValue()).isPositive();
		String scrape = api.scrape();
		assertThat(scrape).contains("jobexec_store_file_size_bytes ", "jobexec_store_live_size_bytes ",
				"jobexec_store_journal_size_bytes ");
	}

	/** jobexec_store_written_bytes_total as scraped now. */
	private long written() {
		return api.scrape()
			.lines()
			.filter((line) -> line.startsWith("jobexec_store_written_bytes_total "))
			.map((line) -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
			.findFirst()
			.orElseThrow();
	}

	@Test
	void durationAndQueueWaitBucketsReachPastTheLongestMaxTimeout() {
		String scrape = api.scrape();
		// The pools allow 1 h and a kill-grace of up to 3 s: the last finite bucket is 2
		// h.
		for (String series : List.of("jobexec_jobs_duration_seconds_bucket{pool=\"process\",state=\"SUCCEEDED\",",
				"jobexec_jobs_queue_wait_seconds_bucket{pool=\"thread\",")) {
			List<String> bounds = scrape.lines()
				.filter((line) -> line.startsWith(series))
				.map((line) -> line.substring(line.indexOf("le=\"") + 4, line.lastIndexOf('"')))
				.toList();
			assertThat(bounds).as(series)
				.startsWith("0.01", "0.025", "0.05")
				.contains("30.0", "60.0", "3600.0")
				.endsWith("7200.0", "+Inf")
				.hasSize(19);
		}
	}

	@Test
	void metricsEndpointDescribesMetersAndGivesOnlyRealUnits() {
		api.client()
			.get()
			.uri("/actuator/metrics/jobexec.pool.active?tag=pool:thread")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.description")
			.isEqualTo("Jobs running in the pool")
			.jsonPath("$.baseUnit")
			.doesNotExist();
		api.client()
			.get()
			.uri("/actuator/metrics/jobexec.jobs.duration")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.baseUnit")
			.isEqualTo("seconds");
	}

	/**
	 * Refusals made before the job service sees a submission (Bean Validation, an
	 * unreadable body, size, media type) and the ones it makes itself are each counted
	 * once.
	 */
	@Test
	void everyRefusedSubmissionIsCountedOnce() {
		String before = api.scrape();
		Map<String, Integer> refusals = new LinkedHashMap<>();
		refusals.put("{\"command\":[]}", 400);
		refusals.put("{\"command\":[\"/bin/true\"],\"timeOut\":\"PT1S\"}", 400);
		refusals.put("{\"command\":", 400);
		refusals.put("{\"command\":[\"/bin/true\"],\"task\":\"echo\"}", 400);
		refusals.put("{\"command\":[\"/bin/true\"],\"pool\":\"nope\"}", 404);
		refusals.put("{\"task\":\"nope\"}", 404);
		refusals.put("{\"task\":\"sleep\",\"timeout\":\"PT2H\"}", 400);
		refusals.put("{\"command\":[\"/bin/echo\",\"" + "x".repeat(600 * 1024) + "\"]}", 413);
		refusals.put("{\"command\":[\"/usr/sbin/nologin\"]}", 403);
		refusals.forEach((body, status) -> assertThat(api.post(body).getStatus().value()).as("status of %.60s", body)
			.isEqualTo(status));
		api.client()
			.post()
			.uri("/api/v1/jobs")
			.contentType(MediaType.TEXT_PLAIN)
			.body("{}")
			.exchange()
			.expectStatus()
			.isEqualTo(415);
		// Without a key it is no one's submission.
		api.anonymous()
			.post()
			.uri("/api/v1/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"command\":[]}")
			.exchange()
			.expectStatus()
			.isUnauthorized();
		String after = api.scrape();
		assertThat(increase(before, after, "process", "invalid")).as("empty command; command and task").isEqualTo(2);
		assertThat(increase(before, after, "thread", "invalid")).as("unknown task; timeout past max-timeout")
			.isEqualTo(2);
		assertThat(increase(before, after, "unknown", "invalid"))
			.as("unknown property, not JSON, unknown pool, too large, wrong media type")
			.isEqualTo(5);
		assertThat(increase(before, after, "process", "forbidden")).isEqualTo(1);
	}

	private static long increase(String before, String after, String pool, String reason) {
		String series = "jobexec_jobs_rejected_total{pool=\"" + pool + "\",reason=\"" + reason + "\"} ";
		return value(after, series) - value(before, series);
	}

	private static long value(String scrape, String series) {
		return scrape.lines()
			.filter((line) -> line.startsWith(series))
			.mapToLong((line) -> (long) Double.parseDouble(line.substring(series.length())))
			.sum();
	}

	@Test
	void jobpoolsEndpointShowsTheLiveSnapshotOfEveryPool() {
		api.client()
			.get()
			.uri("/actuator/jobpools")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.pools[*].name")
			.value((names) -> assertThat((List<Object>) names).contains("process", "thread", "narrow"))
			.jsonPath("$.reaper.liveProcesses")
			.isNumber()
			.jsonPath("$.isolation.rlimits")
			.value((rlimits) -> assertThat((List<Object>) rlimits).contains("--nofile=512:512", "--core=0:0"))
			.jsonPath("$.isolation.cgroups")
			.value((cgroups) -> assertThat((String) cgroups).containsPattern("cgroup|no cgroup"));
		api.client()
			.get()
			.uri("/actuator/jobpools/narrow")
			.accept(MediaType.APPLICATION_JSON)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.maxConcurrency")
			.isEqualTo(1)
			.jsonPath("$.queueCapacity")
			.isEqualTo(1);
		api.client().get().uri("/actuator/jobpools/nope").exchange().expectStatus().isNotFound();
	}

}
