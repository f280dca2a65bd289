package dev.jobexec.reaper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.ServiceProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGKILL the service: no process of any of its jobs survives it. */
class CrashSafetyTests {

	@TempDir
	Path dir;

	@Test
	void noJobProcessOutlivesASigkilledService() throws Exception {
		try (ServiceProcess service = ServiceProcess.start(dir, List.of())) {
			Api api = service.api();
			String family = api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & sleep 300 & wait\"]}");
			String escaped = api.submitId("""
					{"command": ["/bin/sh", "-c", "(setsid sh -c 'trap \\"\\" TERM; sleep 300; echo' &); sleep 300"]}
					""");
			String task = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT5M\"}}");
			api.awaitState(family, "RUNNING");
			api.awaitState(escaped, "RUNNING");
			api.awaitState(task, "RUNNING");
			List<String> jobs = List.of(family, escaped);
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ServiceProcess.processesOf(jobs).size() >= 6);
			List<ProcessTable.Entry> before = ServiceProcess.processesOf(jobs);

			service.sigkill();
			service.awaitExit(Duration.ofSeconds(30));

			Awaitility.await()
				.atMost(Duration.ofSeconds(15))
				.untilAsserted(() -> assertThat(ServiceProcess.processesOf(jobs)).isEmpty());
			for (ProcessTable.Entry process : before) {
				assertThat(ProcessTable.read(process.pid())
					.filter((now) -> now.startTicks() == process.startTicks())
					.filter((now) -> !now.isZombie())).as("process %s", process).isEmpty();
			}
		}
	}

}
