package dev.jobexec.reaper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.ServiceProcess;
import lombok.extern.slf4j.Slf4j;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service as PID 1 of its own PID namespace, as in a container without an init:
 * orphans are re-parented to it and it reaps them, so zombies never pile up.
 */
@Slf4j
class Pid1Tests {

	private static final List<String> UNSHARE = List.of("unshare", "--pid", "--fork", "--mount-proc");

	@TempDir
	Path dir;

	@BeforeAll
	static void pidNamespacesAreAvailable() throws Exception {
		String reason;
		try {
			Process probe = new ProcessBuilder(concat(UNSHARE, "/bin/true")).redirectErrorStream(true).start();
			boolean ended = probe.waitFor(20, TimeUnit.SECONDS);
			String output = new String(probe.getInputStream().readAllBytes());
			reason = !ended ? "unshare did not finish" : (probe.exitValue() == 0) ? null
					: "unshare --pid --fork --mount-proc failed (" + probe.exitValue() + "): " + output.trim();
		}
		catch (java.io.IOException ex) {
			reason = "unshare (util-linux) is not installed: " + ex.getMessage();
		}
		if (reason != null) {
			log.warn("Skipping the PID 1 tests: {}", reason);
		}
		String why = reason;
		Assumptions.assumeTrue(why == null, () -> "PID namespaces unavailable here: " + why);
	}

	@Test
	void asPid1TheServiceReapsEveryOrphanOfItsJobs() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, UNSHARE)) {
			long jvm = service.jvmPid();
			Api api = service.api();
			api.client()
				.get()
				.uri("/actuator/health/reaper")
				.exchange()
				.expectBody()
				.jsonPath("$.status")
				.isEqualTo("UP");

			List<String> ids = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				// The subshell exits at once, so its sleep is orphaned: inside the
				// namespace it goes to PID 1.
				ids.add(api
					.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"(sleep 0.3 &); (setsid sleep 0.3 &); exit 0\"]}"));
			}
			for (String id : ids) {
				api.awaitState(id, "SUCCEEDED");
			}
			Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				assertThat(children(jvm, true)).as("zombie children of PID 1").isEmpty();
				assertThat(children(jvm, false)).as("live children of PID 1 besides the crash guard")
					.hasSizeLessThanOrEqualTo(1);
			});
			api.client()
				.get()
				.uri("/actuator/metrics/jobexec.reaper.zombies.reaped")
				.exchange()
				.expectBody()
				.jsonPath("$.measurements[0].value")
				.value((reaped) -> assertThat(((Number) reaped).longValue()).isGreaterThanOrEqualTo(40));

			service.sigterm();
			service.awaitExit(Duration.ofSeconds(60));
		}
	}

	private static List<ProcessTable.Entry> children(long parent, boolean zombies) {
		return ProcessTable.all()
			.stream()
			.filter((entry) -> entry.ppid() == parent && entry.isZombie() == zombies)
			.toList();
	}

	private static List<String> concat(List<String> list, String last) {
		List<String> all = new ArrayList<>(list);
		all.add(last);
		return all;
	}

}
