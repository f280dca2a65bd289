package dev.jobexec.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Grafana dashboard parses, and every query in it reads only series the
 * service exposes; no Grafana server is needed for that.
 */
@JobexecHttpTest
class GrafanaDashboardTests {

	private static final Path DASHBOARD = Path.of("ops/grafana/jobexec-dashboard.json");

	@Autowired
	Api api;

	@Test
	void everyQueryReadsSeriesTheServiceExposes() throws IOException {
		JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
		List<String> queries = new ArrayList<>();
		dashboard.findValues("expr").forEach((expr) -> queries.add(expr.asString()));
		dashboard.get("templating")
			.get("list")
			.forEach((variable) -> variable.findValues("definition")
				.forEach((definition) -> queries
					.add(definition.asString().replaceFirst("^label_values\\((.*),\\s*\\w+\\)$", "$1"))));
		assertThat(queries).hasSizeGreaterThan(10);

		api.awaitEnd(api.submitId("{\"command\":[\"/bin/true\"]}"));
		Set<String> exposed = PromQl.seriesNames(api.scrape());
		Set<String> read = new TreeSet<>();
		for (String query : queries) {
			Set<String> names = PromQl.metricNames(query);
			assertThat(names).as(query).isNotEmpty();
			assertThat(exposed).as(query).containsAll(names);
			read.addAll(names);
		}
		// What the dashboard is for: pools, queues, jobs, rejections, threads, the
		// reaper, processes, the store.
		assertThat(read).contains("jobexec_pool_active", "jobexec_pool_max", "jobexec_pool_queued",
				"jobexec_pool_queue_capacity", "jobexec_jobs_queue_wait_seconds_bucket",
				"jobexec_jobs_duration_seconds_bucket", "jobexec_jobs_rejected_total", "jobexec_jobs_submitted_total",
				"jobexec_threads_stuck", "jobexec_reaper_zombies_reaped_total", "jobexec_reaper_orphans_killed_total",
				"jobexec_reaper_scan_seconds_count", "jobexec_processes_live", "jobexec_store_writable");
		dashboard.get("panels")
			.forEach((panel) -> assertThat(panel.get("title").asString()).as("panel %s", panel.get("id")).isNotBlank());
	}

}
