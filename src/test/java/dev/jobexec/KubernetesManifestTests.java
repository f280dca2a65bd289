package dev.jobexec;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.jobexec.execution.ExecutionProperties;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes manifests in {@code ops/kubernetes} fit the service they run: the grace
 * period covers the drain the service's defaults ask for, the probes name its health
 * groups, the Service and the disruption budget select the Deployment's pods, and the
 * container port is the one the Dockerfile exposes. No cluster is needed: the files are
 * read as YAML.
 */
class KubernetesManifestTests {

	private static final Path DIR = Path.of("ops", "kubernetes");

	private final List<Map<String, Object>> manifests = manifests();

	@Test
	void theGracePeriodCoversThePreStopSleepTheDrainAndTheLongestKillGrace() {
		ExecutionProperties defaults = new Binder(new MapConfigurationPropertySource()).bindOrCreate("jobexec",
				ExecutionProperties.class);
		Duration drain = defaults.shutdown().drainTimeout();
		Duration killGrace = defaults.pools()
			.values()
			.stream()
			.map(ExecutionProperties.Pool::killGrace)
			.max(Duration::compareTo)
			.orElseThrow();
		Map<String, Object> pod = podSpec();
		Duration grace = Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue());
		Duration preStop = preStopSleep(container(pod));
		assertThat(grace)
			.as("terminationGracePeriodSeconds against preStop %s + drain-timeout %s + kill-grace %s", preStop, drain,
					killGrace)
			.isGreaterThan(preStop.plus(drain).plus(killGrace));
	}

	@Test
	void theProbesAskTheHealthGroupsOnTheServicePort() {
		Map<String, Object> container = container(podSpec());
		assertThat(probePath(container, "readinessProbe")).isEqualTo("/actuator/health/readiness");
		assertThat(probePath(container, "livenessProbe")).isEqualTo("/actuator/health/liveness");
		for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
			if (container.containsKey(probe)) {
				Object port = map(map(container, probe), "httpGet").get("port");
				assertThat(resolvePort(container, port)).as("the port of %s", probe)
					.isEqualTo(containerPort(container));
			}
		}
	}

	@Test
	void theServiceAndTheDisruptionBudgetSelectTheDeploymentsPods() {
		Map<String, Object> deployment = only("Deployment");
		Map<String, Object> labels = map(map(map(map(deployment, "spec"), "template"), "metadata"), "labels");
		Map<String, Object> deploymentSelector = map(map(map(deployment, "spec"), "selector"), "matchLabels");
		Map<String, Object> serviceSelector = map(map(only("Service"), "spec"), "selector");
		Map<String, Object> budgetSelector = map(map(map(only("PodDisruptionBudget"), "spec"), "selector"),
				"matchLabels");
		for (Map<String, Object> selector : List.of(deploymentSelector, serviceSelector, budgetSelector)) {
			assertThat(selector).isNotEmpty();
			assertThat(labels).containsAllEntriesOf(selector);
		}
		assertThat(serviceSelector).isEqualTo(deploymentSelector);
		assertThat(budgetSelector).isEqualTo(deploymentSelector);
		Map<String, Object> budget = map(only("PodDisruptionBudget"), "spec");
		assertThat(budget.containsKey("maxUnavailable") || budget.containsKey("minAvailable")).isTrue();
	}

	@Test
	void theContainerAndTheServiceUseThePortTheDockerfileExposes() throws IOException {
		Matcher expose = Pattern.compile("(?m)^EXPOSE\\s+(\\d+)").matcher(Files.readString(Path.of("Dockerfile")));
		assertThat(expose.find()).as("an EXPOSE line in the Dockerfile").isTrue();
		int exposed = Integer.parseInt(expose.group(1));
		Map<String, Object> container = container(podSpec());
		assertThat(containerPort(container)).isEqualTo(exposed);
		List<Map<String, Object>> servicePorts = list(map(only("Service"), "spec"), "ports");
		assertThat(servicePorts).isNotEmpty()
			.allSatisfy((port) -> assertThat(resolvePort(container, port.get("targetPort"))).isEqualTo(exposed));
	}

	@Test
	void everyNodeSharesTheDatabaseAndAdvertisesItsPodAddress() {
		Map<String, Object> container = container(podSpec());
		Map<String, Map<String, Object>> env = new LinkedHashMap<>();
		list(container, "env").forEach((variable) -> env.put((String) variable.get("name"), variable));
		for (String name : List.of("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD",
				"JOBEXEC_SECURITY_APIKEYS")) {
			assertThat(env).as("the container's environment").containsKey(name);
			assertThat(map(env.get(name), "valueFrom")).as("%s comes from a Secret", name).containsKey("secretKeyRef");
		}
		String advertised = (String) env.get("JOBEXEC_CLUSTER_ADVERTISEDURL").get("value");
		Matcher reference = Pattern.compile("^http://\\$\\((\\w+)\\):(\\d+)$").matcher(advertised);
		assertThat(reference.matches()).as("JOBEXEC_CLUSTER_ADVERTISEDURL %s", advertised).isTrue();
		assertThat(map(map(env.get(reference.group(1)), "valueFrom"), "fieldRef")).containsEntry("fieldPath",
				"status.podIP");
		assertThat(Integer.parseInt(reference.group(2))).isEqualTo(containerPort(container));
	}

	private Map<String, Object> podSpec() {
		return map(map(map(only("Deployment"), "spec"), "template"), "spec");
	}

	private static Map<String, Object> container(Map<String, Object> podSpec) {
		List<Map<String, Object>> containers = list(podSpec, "containers");
		assertThat(containers).hasSize(1);
		return containers.get(0);
	}

	private static int containerPort(Map<String, Object> container) {
		List<Map<String, Object>> ports = list(container, "ports");
		assertThat(ports).hasSize(1);
		return ((Number) ports.get(0).get("containerPort")).intValue();
	}

	/** A port as a probe or a Service names it: a number, or a container port's name. */
	private static int resolvePort(Map<String, Object> container, Object port) {
		if (port instanceof Number number) {
			return number.intValue();
		}
		return list(container, "ports").stream()
			.filter((candidate) -> port.equals(candidate.get("name")))
			.map((candidate) -> ((Number) candidate.get("containerPort")).intValue())
			.findFirst()
			.orElseThrow(() -> new AssertionError("no container port named " + port));
	}

	private static String probePath(Map<String, Object> container, String probe) {
		assertThat(container).as("the container's %s", probe).containsKey(probe);
		return (String) map(map(container, probe), "httpGet").get("path");
	}

	/**
	 * How long the preStop hook sleeps: {@code sleep N} exec, a sleep action, or none.
	 */
	private static Duration preStopSleep(Map<String, Object> container) {
		Map<String, Object> lifecycle = map(container, "lifecycle");
		Map<String, Object> preStop = (lifecycle != null) ? map(lifecycle, "preStop") : null;
		if (preStop == null) {
			return Duration.ZERO;
		}
		if (preStop.containsKey("sleep")) {
			return Duration.ofSeconds(((Number) map(preStop, "sleep").get("seconds")).longValue());
		}
		@SuppressWarnings("unchecked")
		List<String> command = (List<String>) map(preStop, "exec").get("command");
		assertThat(command).as("the preStop command").hasSize(2).first().isEqualTo("sleep");
		return Duration.ofSeconds(Long.parseLong(command.get(1)));
	}

	private Map<String, Object> only(String kind) {
		List<Map<String, Object>> found = manifests.stream()
			.filter((manifest) -> kind.equals(manifest.get("kind")))
			.toList();
		assertThat(found).as("%s manifests in %s", kind, DIR).hasSize(1);
		return found.get(0);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Map<String, Object> parent, String key) {
		return (Map<String, Object>) parent.get(key);
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
		return (List<Map<String, Object>>) parent.get(key);
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> manifests() {
		List<Map<String, Object>> all = new ArrayList<>();
		try (Stream<Path> files = Files.list(DIR)) {
			for (Path file : files.filter((path) -> path.toString().endsWith(".yaml")).sorted().toList()) {
				try (Reader reader = Files.newBufferedReader(file)) {
					for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
						if (document != null) {
							all.add((Map<String, Object>) document);
						}
					}
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		assertThat(all).as("manifests in %s", DIR).isNotEmpty();
		return all;
	}

}
