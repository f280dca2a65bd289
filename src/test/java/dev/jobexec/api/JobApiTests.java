package dev.jobexec.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.support.Api;
import dev.jobexec.support.JobexecHttpTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static dev.jobexec.support.Api.list;
import static dev.jobexec.support.Api.map;
import static org.assertj.core.api.Assertions.assertThat;

@JobexecHttpTest
class JobApiTests {

	@Autowired
	Api api;

	@Autowired
	PoolRouter router;

	@Test
	void timestampsReadTheSameWhenSubmittedAndWhenReadBack() {
		Map<String, Object> submitted = api.submit("{\"command\":[\"/bin/true\"]}");
		Map<String, Object> ended = api.awaitEnd((String) submitted.get("id"));
		assertThat(ended.get("submittedAt")).isEqualTo(submitted.get("submittedAt"));
		for (String field : List.of("submittedAt", "startedAt", "finishedAt")) {
			String fraction = ((String) ended.get(field)).replaceAll("^[^.]*\\.?|Z$", "");
			assertThat(fraction.length()).as("fraction of %s: %s", field, ended.get(field)).isLessThanOrEqualTo(6);
		}
	}

	@Nested
	class ProcessJobs {

		@Test
		void echoJobIsAcceptedThenSucceedsWithItsStdoutCaptured() {
			EntityExchangeResult<Map<String, Object>> accepted = api.post("{\"command\":[\"/bin/echo\",\"hello\"]}");
			assertThat(accepted.getStatus().value()).isEqualTo(202);
			String id = (String) accepted.getResponseBody().get("id");
			assertThat(accepted.getResponseHeaders().getLocation()).hasPath("/api/v1/jobs/" + id);
			assertThat(accepted.getResponseBody()).containsEntry("pool", "process").containsEntry("kind", "PROCESS");

			Map<String, Object> job = api.awaitEnd(id);
			assertThat(job).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", 0);
			assertThat(map(job.get("stdout"))).containsEntry("text", "hello\n")
				.containsEntry("bytes", 6)
				.containsEntry("truncated", false);
			assertThat(job.get("pid")).isNotNull();
			assertThat(job.get("startedAt")).isNotNull();
			assertThat(job.get("finishedAt")).isNotNull();

			api.client()
				.get()
				.uri("/api/v1/jobs/{id}/stdout", id)
				.exchange()
				.expectStatus()
				.isOk()
				.expectHeader()
				.contentTypeCompatibleWith(MediaType.TEXT_PLAIN)
				.expectBody(String.class)
				.isEqualTo("hello\n");
		}

		@Test
		void stdinEnvAndWorkingDirectoryReachTheProcessWhichInheritsNothingElse() throws Exception {
			Path reports = Files.createDirectories(router.pool("process").config().baseDirectory().resolve("reports"));
			String id = api.submitId("""
					{"command": ["/bin/sh", "-c", "cat; echo \\"$GREETING\\"; echo \\"${HOME:-no home}\\"; pwd"],
					 "stdin": "from stdin\\n", "env": {"GREETING": "hello"}, "workingDirectory": "reports"}
					""");
			Map<String, Object> job = api.awaitEnd(id);
			assertThat(job).containsEntry("state", "SUCCEEDED");
			assertThat(map(job.get("stdout")).get("text"))
				.isEqualTo("from stdin\nhello\nno home\n" + reports.toRealPath() + "\n");
		}

		@Test
		void failingProcessRecordsItsExitCodeAndStderr() {
			Map<String, Object> job = api.awaitEnd(api.submitId("""
					{"command": ["/bin/sh", "-c", "echo oops >&2; exit 7"]}
					"""));
			assertThat(job).containsEntry("state", "FAILED").containsEntry("exitCode", 7);
			assertThat(job.get("error")).isEqualTo("exited with code 7");
			assertThat(map(job.get("stderr")).get("text")).isEqualTo("oops\n");
		}

		@Test
		void signalThatEndedTheProcessIsReportedWhileAnExitCodeOf143IsJustAnExitCode() {
			Map<String, Object> killed = api
				.awaitEnd(api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"kill -TERM $$\"]}"));
			assertThat(killed).containsEntry("state", "FAILED")
				.containsEntry("signal", 15)
				.containsEntry("exitCode", 143);
			assertThat(killed.get("error")).isEqualTo("killed by signal 15 (SIGTERM)");

			Map<String, Object> exited = api.awaitEnd(api.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"exit 143\"]}"));
			assertThat(exited).containsEntry("state", "FAILED").containsEntry("exitCode", 143);
			assertThat(exited.get("signal")).isNull();
			assertThat(exited.get("error")).isEqualTo("exited with code 143");
		}

		@Test
		void stdinLargerThanAPipeBufferIsFedWhileTheOutputIsRead() {
			String input = "0123456789".repeat(12_000);
			Map<String, Object> job = api
				.awaitEnd(api.submitId("{\"command\":[\"/bin/cat\"],\"stdin\":\"" + input + "\"}"));
			assertThat(job).containsEntry("state", "SUCCEEDED");
			assertThat(map(job.get("stdout"))).containsEntry("bytes", 120_000).containsEntry("text", input);
		}

		@Test
		void processInheritsNoDescriptorBeyondItsStdio() {
			assertThat(succeededStdout("{\"command\":[\"/bin/sh\",\"-c\",\"ls /proc/$$/fd\"]}")).isEqualTo("0\n1\n2\n");
		}

		@Test
		void processStartsWithNoSignalBlockedAndNoStandardSignalIgnored() {
			// grep reads its own status: it is the job's main process, as the service
			// started it.
			String[] lines = succeededStdout("""
					{"command": ["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]}
					""").split("\n");
			assertThat(lines).hasSize(2);
			assertThat(lines[0]).isEqualTo("SigBlk:\t0000000000000000");
			// glibc's posix_spawn leaves its two internal signals (32 and 33) ignored; 1
			// to 31 must not be.
			assertThat(Long.parseLong(lines[1].substring("SigIgn:\t".length()), 16) & 0x7fffffffL).isZero();
		}

		@Test
		void commandGivenByBareNameIsLookedUpOnThePath() {
			assertThat(succeededStdout("{\"command\":[\"echo\",\"found\"]}")).isEqualTo("found\n");
		}

		/**
		 * Runs a process job to its end, asserts that it succeeded, and returns its
		 * stdout.
		 */
		private String succeededStdout(String body) {
			Map<String, Object> job = api.awaitEnd(api.submitId(body));
			assertThat(job).containsEntry("state", "SUCCEEDED");
			return (String) map(job.get("stdout")).get("text");
		}

		@Test
		void requestFieldsAreEchoedInTheJob() {
			Map<String, Object> job = api.submit("""
					{"command": ["/bin/true"], "timeout": "PT42S", "daemon": true, "labels": {"team": "reports"}}
					""");
			assertThat(job).containsEntry("timeout", "PT42S").containsEntry("daemon", true);
			assertThat(map(job.get("labels"))).containsEntry("team", "reports");
			assertThat(api.awaitEnd((String) job.get("id"))).containsEntry("state", "SUCCEEDED");
		}

	}

	@Nested
	class TaskJobs {

		@Test
		void sleepTaskSucceeds() {
			Map<String, Object> job = api
				.awaitEnd(api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT0.2S\"}}"));
			assertThat(job).containsEntry("state", "SUCCEEDED")
				.containsEntry("pool", "thread")
				.containsEntry("kind", "TASK");
			assertThat(map(job.get("result"))).containsEntry("slept", "PT0.2S");
		}

		@Test
		void echoTaskReturnsItsMessage() {
			Map<String, Object> job = api
				.awaitEnd(api.submitId("{\"task\":\"echo\",\"params\":{\"message\":{\"n\":[1,2]}}}"));
			assertThat(job).containsEntry("state", "SUCCEEDED");
			assertThat(map(job.get("result"))).containsEntry("n", List.of(1, 2));
		}

		@Test
		void failTaskIsRecordedWithItsError() {
			Map<String, Object> job = api
				.awaitEnd(api.submitId("{\"task\":\"fail\",\"params\":{\"message\":\"boom\"}}"));
			assertThat(job).containsEntry("state", "FAILED").containsEntry("error", "boom");
		}

		@Test
		void cooperativeCpuTaskStopsAtItsTimeout() {
			Map<String, Object> job = api.awaitEnd(api.submitId("""
					{"task": "cpu", "params": {"duration": "PT30S"}, "timeout": "PT0.3S"}
					"""));
			assertThat(job).containsEntry("state", "TIMED_OUT").containsEntry("terminationReason", "TIMEOUT");
			assertThat((String) job.get("error")).doesNotContain("stuck");
		}

		@Test
		void cpuTaskReturnsWhatItComputed() {
			Map<String, Object> job = api
				.awaitEnd(api.submitId("{\"task\":\"cpu\",\"params\":{\"duration\":\"PT0.1S\"}}"));
			assertThat(job).containsEntry("state", "SUCCEEDED");
			assertThat(((Number) map(job.get("result")).get("iterations")).longValue()).isPositive();
		}

	}

	@Nested
	class Waiting {

		@Test
		void preferWaitAnswers200WithTheFinishedJob() {
			EntityExchangeResult<Map<String, Object>> result = api.post("{\"command\":[\"/bin/echo\",\"now\"]}",
					"Prefer", "wait=30");
			assertThat(result.getStatus().value()).isEqualTo(200);
			assertThat(result.getResponseHeaders().getFirst("Preference-Applied")).isEqualTo("wait=30");
			assertThat(result.getResponseHeaders().getLocation()).isNotNull();
			assertThat(result.getResponseBody()).containsEntry("state", "SUCCEEDED");
		}

		@Test
		void preferWaitAnswers202WhenTheJobOutlastsTheWait() {
			EntityExchangeResult<Map<String, Object>> result = api
				.post("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT3S\"}}", "Prefer", "respond-async, wait=1");
			assertThat(result.getStatus().value()).isEqualTo(202);
			assertThat(result.getResponseBody()).containsEntry("state", "RUNNING");
			assertThat(api.awaitEnd((String) result.getResponseBody().get("id"))).containsEntry("state", "SUCCEEDED");
		}

		@Test
		void longPollReturnsAsSoonAsTheJobEnds() {
			String id = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT1S\"}}");
			Map<String, Object> job = api.longPoll(id, "PT30S")
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
			assertThat(job).containsEntry("state", "SUCCEEDED");
		}

		@Test
		void longPollThatElapsesLeavesTheJobRunning() {
			String id = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT2S\"}}");
			Map<String, Object> job = api.longPoll(id, "PT0.2S")
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
			assertThat(job).containsEntry("state", "RUNNING");
			assertThat(api.awaitEnd(id)).containsEntry("state", "SUCCEEDED");
		}

	}

	@Nested
	class Listing {

		@Test
		void listsNewestFirstFilteredByLabelWithACursor() {
			String run = UUID.randomUUID().toString();
			String first = api.submitId(echo(run, "a"));
			String second = api.submitId(echo(run, "b"));
			String third = api.submitId(echo(run, "c"));
			api.awaitEnd(third);

			Map<String, Object> page = page("/api/v1/jobs?label=run:" + run + "&limit=2");
			assertThat(list(page.get("items"))).extracting((job) -> job.get("id")).containsExactly(third, second);
			assertThat(page.get("nextCursor")).isEqualTo(second);

			Map<String, Object> next = page("/api/v1/jobs?label=run:" + run + "&limit=2&cursor=" + second);
			assertThat(list(next.get("items"))).extracting((job) -> job.get("id")).containsExactly(first);
			assertThat(next).doesNotContainKey("nextCursor");
		}

		@Test
		void filtersByStateAndPool() {
			String run = UUID.randomUUID().toString();
			String failed = api.submitId("{\"task\":\"fail\",\"labels\":{\"run\":\"" + run + "\"}}");
			String succeeded = api.submitId("{\"task\":\"echo\",\"labels\":{\"run\":\"" + run + "\"}}");
			String process = api.submitId(echo(run, "p"));
			List.of(failed, succeeded, process).forEach(api::awaitEnd);

			assertThat(list(page("/api/v1/jobs?label=run:" + run + "&state=FAILED").get("items")))
				.extracting((job) -> job.get("id"))
				.containsExactly(failed);
			assertThat(list(page("/api/v1/jobs?label=run:" + run + "&pool=thread").get("items")))
				.extracting((job) -> job.get("id"))
				.containsExactly(succeeded, failed);
			assertThat(list(page("/api/v1/jobs?label=run:" + run + "&pool=process&state=succeeded").get("items")))
				.extracting((job) -> job.get("id"))
				.containsExactly(process);
		}

		@Test
		void listedJobsCarryOutputSizesButNotText() {
			String run = UUID.randomUUID().toString();
			api.awaitEnd(api.submitId(echo(run, "x")));
			Map<String, Object> listed = list(page("/api/v1/jobs?label=run:" + run).get("items")).get(0);
			assertThat(map(listed.get("stdout"))).containsEntry("bytes", 2).doesNotContainKey("text");
		}

		private Map<String, Object> page(String uri) {
			return api.client()
				.get()
				.uri(uri)
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
		}

		private static String echo(String run, String text) {
			return "{\"command\":[\"/bin/echo\",\"" + text + "\"],\"labels\":{\"run\":\"" + run + "\"}}";
		}

	}

	@Nested
	class Cancelling {

		@Test
		void runningTaskIsCancelled() {
			String id = api.submitId("{\"task\":\"sleep\",\"params\":{\"duration\":\"PT30S\"}}");
			api.awaitRunning(id);
			Map<String, Object> cancelled = api.client()
				.delete()
				.uri("/api/v1/jobs/{id}", id)
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
			assertThat(cancelled).containsEntry("state", "CANCELLED").containsEntry("terminationReason", "CANCELLED");
		}

		@Test
		void queuedJobIsCancelledAndNeverStarts() {
			String blocker = api.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"30\"]}");
			api.awaitRunning(blocker);
			String queued = api.submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/echo\",\"never\"]}");
			assertThat(api.get(queued)).containsEntry("state", "QUEUED");

			Map<String, Object> cancelled = api.client()
				.delete()
				.uri("/api/v1/jobs/{id}", queued)
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(Api.JSON)
				.getResponseBody();
			assertThat(cancelled).containsEntry("state", "CANCELLED").doesNotContainKey("startedAt");

			api.client().delete().uri("/api/v1/jobs/{id}", blocker).exchange().expectStatus().is2xxSuccessful();
			assertThat(api.awaitEnd(blocker)).containsEntry("state", "CANCELLED");
			assertThat(api.get(queued)).containsEntry("state", "CANCELLED").doesNotContainKey("startedAt");
		}

		@Test
		void finishedJobCannotBeCancelled() {
			String id = api.submitId("{\"task\":\"echo\"}");
			api.awaitEnd(id);
			api.client()
				.delete()
				.uri("/api/v1/jobs/{id}", id)
				.exchange()
				.expectStatus()
				.isEqualTo(409)
				.expectHeader()
				.contentTypeCompatibleWith(Api.PROBLEM)
				.expectBody()
				.jsonPath("$.jobId")
				.isEqualTo(id)
				.jsonPath("$.state")
				.isEqualTo("SUCCEEDED");
		}

	}

	@Nested
	class PoolsAndTasks {

		@Test
		void poolsShowTheirConfigurationAndLiveFigures() {
			List<Map<String, Object>> pools = api.client()
				.get()
				.uri("/api/v1/pools")
				.exchange()
				.expectStatus()
				.isOk()
				.returnResult(new org.springframework.core.ParameterizedTypeReference<List<Map<String, Object>>>() {
				})
				.getResponseBody();
			assertThat(pools).extracting((pool) -> pool.get("name")).contains("process", "thread", "narrow");
			Map<String, Object> narrow = pools.stream()
				.filter((pool) -> "narrow".equals(pool.get("name")))
				.findFirst()
				.orElseThrow();
			assertThat(narrow).containsEntry("type", "process")
				.containsEntry("maxConcurrency", 1)
				.containsEntry("queueCapacity", 1)
				.containsKeys("active", "queued", "completed", "rejected", "killGrace");

			api.client()
				.get()
				.uri("/api/v1/pools/thread")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.type")
				.isEqualTo("thread")
				.jsonPath("$.maxConcurrency")
				.isEqualTo(64);
		}

		@Test
		void tasksListTheBuiltInsWithTheirParameters() {
			api.client()
				.get()
				.uri("/api/v1/tasks")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$[*].name")
				.value((names) -> assertThat((List<Object>) names).contains("sleep", "echo", "fail", "cpu"))
				.jsonPath("$[?(@.name == 'cpu')].parameters[*].name")
				.value((names) -> assertThat((List<Object>) names).containsExactly("duration", "cooperative"));
		}

	}

}
