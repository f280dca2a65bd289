package dev.jobexec.monitoring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The series-name reader the dashboard and rule tests rely on. */
class PromQlTests {

	@Test
	void readsMetricNamesButNotFunctionsLabelsOrKeywords() {
		assertThat(PromQl.metricNames(
				"histogram_quantile(0.99, sum by (le, pool) (rate(jobexec_jobs_duration_seconds_bucket{pool=~\"$pool\",state=\"rate\"}[$__rate_interval])))"))
			.containsExactly("jobexec_jobs_duration_seconds_bucket");
		assertThat(PromQl.metricNames("jobexec_pool_queued / on (pool) jobexec_pool_queue_capacity > 0.8"))
			.containsExactly("jobexec_pool_queue_capacity", "jobexec_pool_queued");
		assertThat(PromQl.metricNames("up{job=\"jobexec\"} == 0 and bool jobexec_typo")).containsExactly("jobexec_typo",
				"up");
	}

	@Test
	void readsSeriesNamesOfAScrape() {
		assertThat(PromQl.seriesNames("""
				# HELP jobexec_pool_max Jobs the pool may run at once
				# TYPE jobexec_pool_max gauge
				jobexec_pool_max{pool="process"} 4.0
				jobexec_processes_live 0.0
				""")).containsExactly("jobexec_pool_max", "jobexec_processes_live");
	}

}
