package dev.jobexec.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import dev.jobexec.support.Tools;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prometheus' own linter on a real scrape, and the shipped alert rules checked and unit
 * tested with {@code promtool}.
 */
@JobexecHttpTest
class PromtoolTests {

	private static final Path RULES = Path.of("ops/prometheus");

	@Autowired
	Api api;

	@Test
	void promtoolHasNothingToSayAboutJobexecSeries() {
		Path promtool = Tools.require("promtool");
		api.awaitEnd(api.submitId("{\"command\":[\"/bin/true\"]}"));
		Tools.Result result = Tools.run(Duration.ofSeconds(30), api.scrape(),
				List.of(promtool.toString(), "check", "metrics"));
		// Library meters (Tomcat, JVM, HTTP) still draw complaints: exit code 3.
		assertThat(result.output().lines().filter((line) -> line.startsWith("jobexec_")).toList()).as(result.output())
			.isEmpty();
	}

	@Test
	void alertRulesAreValid() throws IOException {
		Path promtool = Tools.require("promtool");
		List<String> command = Stream
			.concat(Stream.of(promtool.toString(), "check", "rules"), ruleFiles().stream().map(Path::toString))
			.toList();
		Tools.Result result = Tools.run(Duration.ofSeconds(30), null, command);
		assertThat(result.exitCode()).as(result.output()).isZero();
	}

	@Test
	void alertRulesPassTheirUnitTests() throws IOException {
		Path promtool = Tools.require("promtool");
		List<Path> tests;
		try (Stream<Path> files = Files.list(RULES)) {
			tests = files.filter((file) -> file.getFileName().toString().endsWith("_test.yml")).sorted().toList();
		}
		assertThat(tests).isNotEmpty();
		List<String> command = Stream
			.concat(Stream.of(promtool.toString(), "test", "rules"), tests.stream().map(Path::toString))
			.toList();
		Tools.Result result = Tools.run(Duration.ofSeconds(60), null, command);
		assertThat(result.exitCode()).as(result.output()).isZero();
	}

	@Test
	@SuppressWarnings("unchecked")
	void alertRulesReadOnlySeriesTheServiceExposes() throws IOException {
		Set<String> exposed = PromQl.seriesNames(api.scrape());
		for (Path file : ruleFiles()) {
			Map<String, Object> rules = new Yaml().load(Files.readString(file));
			for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
				for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
					String expr = (String) rule.get("expr");
					assertThat(PromQl.metricNames(expr)).as("%s: %s", rule.get("alert"), expr)
						.isNotEmpty()
						// up is Prometheus' own.
						.allSatisfy((name) -> assertThat(name.equals("up") || exposed.contains(name))
							.as("%s is scraped", name)
							.isTrue());
				}
			}
		}
	}

	private static List<Path> ruleFiles() throws IOException {
		try (Stream<Path> files = Files.list(RULES)) {
			List<Path> rules = files
				.filter((file) -> file.getFileName().toString().endsWith(".yml")
						&& !file.getFileName().toString().endsWith("_test.yml"))
				.sorted()
				.toList();
			assertThat(rules).isNotEmpty();
			return rules;
		}
	}

}
