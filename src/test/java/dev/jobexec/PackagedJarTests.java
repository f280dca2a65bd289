package dev.jobexec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.jobexec.support.Api;
import dev.jobexec.support.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar as it is shipped, started with {@code java -jar}: it must hold everything the
 * service needs at run time, which the tests that run on the test classpath cannot tell.
 * Run by failsafe after {@code package}.
 */
class PackagedJarTests {

	@TempDir
	Path dir;

	@Test
	void thePackagedJarStartsAndRunsAProcessJobAndATaskJob() throws Exception {
		Path jar = Path.of(System.getProperty("jobexec.jar", "target/jobexec-0.1.0-SNAPSHOT.jar"));
		assertThat(jar).as("the packaged jar").exists();
		try (ServiceProcess service = ServiceProcess.startJar(dir, jar)) {
			Api api = service.api();
			Map<String, Object> process = api.awaitState(api.submitId("{\"command\":[\"/bin/echo\",\"hello\"]}"),
					"SUCCEEDED");
			assertThat(Api.map(process.get("stdout"))).containsEntry("text", "hello\n");
			Map<String, Object> task = api
				.awaitState(api.submitId("{\"task\":\"echo\",\"params\":{\"message\":\"hi\"}}"), "SUCCEEDED");
			assertThat(task).containsKey("result");
			assertThat(api.statusOf("/v3/api-docs")).isEqualTo(200);
			assertThat(Files.readString(dir.resolve("service.log"))).doesNotContain("ClassNotFoundException");
			assertThat(List.of(api.statusOf("/actuator/health/liveness"))).containsExactly(200);
		}
	}

}
