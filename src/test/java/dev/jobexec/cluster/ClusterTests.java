package dev.jobexec.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.support.Api;
import dev.jobexec.support.ServiceProcess;
import dev.jobexec.support.SseStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.test.web.servlet.client.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several real service JVMs on one PostgreSQL: a node joining leaves running jobs alone,
 * work spreads, any node answers and cancels, and a dead or frozen node's jobs are
 * settled with their processes dead first.
 */
class ClusterTests {

	private static final String SLEEP = "{\"command\":[\"/bin/sh\",\"-c\",\"sleep 300 & sleep 300; wait\"]}";

	@TempDir
	Path dir;

	/**
	 * One cluster for two stories (a start of two nodes is the dearest part of these
	 * tests): a node that joins leaves the running job of the first alone, and once the
	 * first is killed, the one left settles its jobs.
	 */
	@Test
	void aNodeJoiningLeavesTheRunningJobsOfOthersAloneAndAKilledNodesJobsAreSettledAndItsProcessesAreDead()
			throws Exception {
		try (Cluster cluster = new Cluster(dir)) {
			ServiceProcess a = cluster.start("a");
			String id = a.api().submitId(SLEEP);
			a.api().awaitState(id, "RUNNING");
			List<ProcessTable.Entry> running = awaitProcesses(id, 2);

			ServiceProcess b = cluster.start("b");
			// Past a whole lease and some heartbeats of both nodes.
			Thread.sleep(Duration.ofSeconds(4));
			assertThat(b.api().get(id)).containsEntry("state", "RUNNING");
			assertThat(a.api().get(id)).containsEntry("state", "RUNNING");
			assertThat(alive(running)).hasSize(running.size());
			assertThat(nodes(b)).hasSize(2).allSatisfy((node) -> assertThat(node).containsEntry("state", "ACTIVE"));

			// A job whose retry policy names LOST: its second attempt runs on the node
			// that is left (and ends at once).
			String retried = a.api()
				.submitId("{\"command\":[\"/bin/sh\",\"-c\",\"f=" + dir + "/tried-$JOBEXEC_JOB_ID; if [ -e $f ]; "
						+ "then echo again; else touch $f; sleep 300; fi\"],"
						+ "\"retry\":{\"maxAttempts\":2,\"backoff\":\"PT1S\",\"on\":[\"LOST\"]}}");
			assertThat(a.api().awaitState(retried, "RUNNING")).containsEntry("node", nodeId(a));
			List<ProcessTable.Entry> processes = new java.util.ArrayList<>(running);
			processes.addAll(awaitProcesses(retried, 2));
			a.sigkill();
			a.awaitExit(Duration.ofSeconds(30));
			Map<String, Object> lost = b.api().awaitState(id, "LOST");
			assertThat(lost).containsEntry("terminationReason", "SERVICE_LOST");
			assertThat((String) lost.get("error")).contains("died or lost its lease");
			assertThat(alive(processes)).isEmpty();
			Map<String, Object> again = b.api().awaitState(retried, "SUCCEEDED");
			assertThat(again).containsEntry("node", nodeId(b));
			assertThat(((Map<?, ?>) again.get("stdout")).get("text")).isEqualTo("again\n");
			assertThat(Api.list(again.get("attempts")))
				.extracting((attempt) -> attempt.get("state"), (attempt) -> attempt.get("node"))
				.containsExactly(org.assertj.core.groups.Tuple.tuple("LOST", nodeIdOf(lost)),
						org.assertj.core.groups.Tuple.tuple("SUCCEEDED", nodeId(b)));
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(nodes(b))
					.anySatisfy((node) -> assertThat(node).containsEntry("id", (Object) nodeIdOf(lost))
						.containsEntry("state", "DEAD")));
		}
	}

	@Test
	void aFrozenNodesProcessesDieBeforeItsJobIsDeclaredLostAndItRecordsNothingAfterwards() throws Exception {
		try (Cluster cluster = new Cluster(dir)) {
			Running running = runningOnOneOfTwo(cluster);
			String id = running.id();
			ServiceProcess a = running.owner();
			ServiceProcess b = running.other();
			List<ProcessTable.Entry> processes = running.processes();
			long jvm = a.jvmPid();
			ProcessControl.signalProcess(jvm, ProcessControl.SIGSTOP);
			try {
				Map<String, Object> lost = null;
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
				while (System.nanoTime() < deadline) {
					boolean processesAlive = !alive(processes).isEmpty();
					Map<String, Object> seen = b.api().get(id);
					if ("LOST".equals(seen.get("state"))) {
						assertThat(processesAlive).as("job processes alive when another node declared the job lost")
							.isFalse();
						lost = seen;
						break;
					}
					Thread.sleep(20);
				}
				assertThat(lost).as("the frozen node's job was settled").isNotNull();
				Map<String, Object> settled = lost;
				ProcessControl.signalProcess(jvm, ProcessControl.SIGCONT);
				// The thawed node finds its lease gone: it records nothing about the
				// job, and joins again.
				Awaitility.await()
					.atMost(Duration.ofSeconds(20))
					.untilAsserted(() -> assertThat(nodes(b))
						.anySatisfy((node) -> assertThat(node).containsEntry("id", settled.get("node"))
							.containsEntry("state", "ACTIVE")));
				assertThat(a.api().get(id)).isEqualTo(settled);
				assertThat(a.log()).contains("no longer holds its lease",
						"is LOST here, but this node no longer holds it");
			}
			finally {
				ProcessControl.signalProcess(jvm, ProcessControl.SIGCONT);
			}
		}
	}

	@Test
	void aNodeStoppedGracefullyDrainsItsJobsLeavesTheQueueToOthersAndLeavesTheRegistry() throws Exception {
		String[] onePerNode = { "--jobexec.pools.process.max-concurrency=1" };
		try (Cluster cluster = new Cluster(dir)) {
			List<ServiceProcess> nodes = List.of(cluster.start("a", onePerNode), cluster.start("b", onePerNode));
			String first = nodes.get(0).api().submitId("{\"command\":[\"/bin/sleep\",\"3\"]}");
			String second = nodes.get(1).api().submitId("{\"command\":[\"/bin/sleep\",\"6\"]}");
			ServiceProcess a = owner(nodes.get(0).api().awaitState(first, "RUNNING"), nodes);
			ServiceProcess b = other(a, nodes);
			b.api().awaitState(second, "RUNNING");
			String aId = nodeId(a);
			List<String> queued = List.of(a.api().submitId("{\"command\":[\"/bin/echo\",\"1\"]}"),
					a.api().submitId("{\"command\":[\"/bin/echo\",\"2\"]}"));

			a.sigterm();
			// 143: the JVM's exit status after SIGTERM, once its shutdown completed.
			assertThat(a.awaitExit(Duration.ofSeconds(60))).isIn(0, 143);
			assertThat(b.api().get(first)).containsEntry("state", "SUCCEEDED").containsEntry("node", aId);
			assertThat(nodes(b)).extracting((node) -> node.get("id")).doesNotContain(aId);
			for (String id : queued) {
				assertThat(b.api().get(id)).containsEntry("state", "QUEUED");
			}
			String bId = nodeId(b);
			for (String id : queued) {
				assertThat(b.api().awaitEnd(id)).containsEntry("state", "SUCCEEDED").containsEntry("node", bId);
			}
		}
	}

	@Test
	void everyAcceptedJobRunsExactlyOnceAcrossARollingRestart() throws Exception {
		Path ledger = dir.resolve("ledger");
		java.nio.file.Files.createFile(ledger);
		String job = "{\"command\":[\"/bin/sh\",\"-c\",\"echo $JOBEXEC_JOB_ID >> " + ledger + "; sleep 0.3\"]}";
		String[] args = { "--jobexec.pools.process.max-concurrency=3", "--jobexec.pools.process.queue-capacity=1000" };
		try (Cluster cluster = new Cluster(dir)) {
			ServiceProcess[] nodes = { cluster.start("a", args), cluster.start("b", args) };
			List<String> accepted = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
			java.util.concurrent.atomic.AtomicBoolean submitting = new java.util.concurrent.atomic.AtomicBoolean(true);
			Thread submitter = Thread.ofPlatform().start(() -> {
				for (int i = 0; submitting.get(); i++) {
					ServiceProcess node = nodes[i % 2];
					try {
						var answer = node.api().post(job);
						if (answer.getStatus().value() == 202) {
							accepted.add((String) answer.getResponseBody().get("id"));
						}
					}
					catch (RuntimeException ex) {
						// The node is restarting: the next submission goes to the other.
					}
					// Paced at about what the six slots run (0.3 s each), so that the
					// queue
					// stays short and the jobs accepted are done soon after the restart.
					java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(40).toNanos());
				}
			});
			try {
				Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= 20);
				nodes[0].sigterm();
				nodes[0].awaitExit(Duration.ofSeconds(60));
				nodes[0] = cluster.start("a", args);
				int before = accepted.size();
				Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= before + 20);
			}
			finally {
				submitting.set(false);
				submitter.join(Duration.ofSeconds(30));
			}
			for (String id : accepted) {
				assertThat(nodes[1].api().awaitEnd(id)).containsEntry("state", "SUCCEEDED");
			}
			List<String> ran = java.nio.file.Files.readAllLines(ledger);
			assertThat(ran).containsExactlyInAnyOrderElementsOf(accepted);
		}
	}

	/**
	 * Behaviour that leaves the nodes running, on one cluster of three started once: each
	 * test has a pool of its own.
	 */
	@Nested
	@TestInstance(TestInstance.Lifecycle.PER_CLASS)
	class ThreeNodes {

		private static final String[] POOLS = { "--jobexec.pools.spread.type=process",
				"--jobexec.pools.spread.max-concurrency=1", "--jobexec.pools.narrow.type=process",
				"--jobexec.pools.narrow.max-concurrency=1", "--jobexec.pools.narrow.queue-capacity=5",
				"--jobexec.pools.retried.type=process" };

		private Path shared;

		private Cluster cluster;

		private ServiceProcess a;

		private ServiceProcess b;

		private ServiceProcess c;

		private List<ServiceProcess> nodes;

		@BeforeAll
		void start() throws Exception {
			shared = java.nio.file.Files.createTempDirectory("jobexec-cluster");
			cluster = new Cluster(shared);
			String[] withReports = java.util.stream.Stream
				.concat(java.util.Arrays.stream(POOLS),
						java.util.stream.Stream.of("--jobexec.pools.reports.type=process"))
				.toArray(String[]::new);
			a = cluster.start("a", withReports);
			b = cluster.start("b", POOLS);
			c = cluster.start("c", POOLS);
			nodes = List.of(a, b, c);
		}

		@AfterAll
		void stop() throws java.io.IOException {
			cluster.close();
			org.springframework.util.FileSystemUtils.deleteRecursively(shared);
		}

		@Test
		void aFailedAttemptWaitsInTheSharedQueueSeenByEveryNodeUntilItsNextAttemptIsDue() {
			String id = a.api()
				.submitId("{\"pool\":\"retried\",\"command\":[\"/bin/sh\",\"-c\",\"f=" + shared
						+ "/attempts-$JOBEXEC_JOB_ID; n=$(( $(cat $f 2>/dev/null || echo 0) + 1 )); echo $n > $f; "
						+ "echo attempt $n; [ $n -ge 3 ] || exit 7\"],"
						+ "\"retry\":{\"maxAttempts\":3,\"backoff\":\"PT0.5S\"}}");

			Map<String, Object> waiting = Awaitility.await()
				.atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(20))
				.until(() -> c.api().get(id), (job) -> "QUEUED".equals(job.get("state"))
						&& ((Number) job.getOrDefault("attempt", 1)).intValue() == 2);
			assertThat(waiting).containsKey("nextAttemptAt").doesNotContainKey("node");
			Map<String, Object> job = b.api().awaitState(id, "SUCCEEDED");
			assertThat(((Map<?, ?>) job.get("stdout")).get("text")).isEqualTo("attempt 3\n");
			List<Map<String, Object>> attempts = Api.list(job.get("attempts"));
			assertThat(attempts).extracting((attempt) -> attempt.get("state"))
				.containsExactly("FAILED", "FAILED", "SUCCEEDED");
			assertThat(Duration.between(Instant.parse((String) attempts.get(0).get("finishedAt")),
					Instant.parse((String) attempts.get(1).get("startedAt"))))
				.isBetween(Duration.ofMillis(500), Duration.ofSeconds(10));
			assertThat(Duration.between(Instant.parse((String) attempts.get(1).get("finishedAt")),
					Instant.parse((String) attempts.get(2).get("startedAt"))))
				.isBetween(Duration.ofMillis(1000), Duration.ofSeconds(10));
			assertThat(attempts).allSatisfy((attempt) -> assertThat(nodes.stream().map(ClusterTests::nodeId))
				.contains((String) attempt.get("node")));
		}

		@Test
		void workSubmittedToOneNodeRunsOnOthersWithFreeSlots() {
			List<String> ids = List.of(a.api().submitId("{\"pool\":\"spread\",\"command\":[\"/bin/sleep\",\"2\"]}"),
					a.api().submitId("{\"pool\":\"spread\",\"command\":[\"/bin/sleep\",\"2\"]}"));
			Map<String, Object> second = b.api().awaitState(ids.get(1), "RUNNING");
			Map<String, Object> first = b.api().get(ids.get(0));
			assertThat(first.get("node")).isNotNull().isNotEqualTo(second.get("node"));
			for (String id : ids) {
				assertThat(c.api().awaitEnd(id)).containsEntry("state", "SUCCEEDED");
			}
		}

		@Test
		void anyNodeWaitsForAndCancelsAJobRunningOnAnother() {
			String shortJob = a.api().submitId("{\"command\":[\"/bin/sh\",\"-c\",\"sleep 1; echo done\"]}");
			ServiceProcess waiter = other(owner(a.api().awaitState(shortJob, "RUNNING"), nodes), nodes);
			Map<String, Object> ended = waiter.api()
				.longPoll(shortJob, "PT20S")
				.expectStatus()
				.isOk()
				.expectBody(Api.JSON)
				.returnResult()
				.getResponseBody();
			assertThat(ended).containsEntry("state", "SUCCEEDED");
			// Its output file is on the node that ran it: the waiter sends the client
			// there.
			ServiceProcess ran = owner(ended, nodes);
			String location = waiter.api()
				.client()
				.get()
				.uri("/api/v1/jobs/" + shortJob + "/stdout")
				.exchange()
				.expectStatus()
				.isEqualTo(307)
				.returnResult()
				.getResponseHeaders()
				.getFirst("Location");
			assertThat(java.net.URI.create(location).getPort()).isEqualTo(java.net.URI.create(ran.baseUrl()).getPort());
			assertThat(location).endsWith("/api/v1/jobs/" + shortJob + "/stdout");
			assertThat(ran.api()
				.client()
				.get()
				.uri("/api/v1/jobs/" + shortJob + "/stdout")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody(String.class)
				.returnResult()
				.getResponseBody()).isEqualTo("done\n");

			String id = a.api().submitId(SLEEP);
			Map<String, Object> running = a.api().awaitState(id, "RUNNING");
			String owner = (String) running.get("node");
			ServiceProcess other = other(owner(running, nodes), nodes);
			List<ProcessTable.Entry> processes = awaitProcesses(id, 2);
			long began = System.nanoTime();
			int status = other.api()
				.client()
				.delete()
				.uri("/api/v1/jobs/" + id)
				.exchange()
				.returnResult()
				.getStatus()
				.value();
			assertThat(status).isIn(200, 202);
			Map<String, Object> cancelled = other.api().awaitState(id, "CANCELLED");
			assertThat(cancelled).containsEntry("terminationReason", "CANCELLED").containsEntry("node", owner);
			assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> alive(processes).isEmpty());
			other.api().client().delete().uri("/api/v1/jobs/" + id).exchange().expectStatus().isEqualTo(409);
		}

		@Test
		void aBatchGoesToTheSharedQueueWholeOrNotAtAllAndRunsAcrossNodes() {
			String sleeper = "{\"pool\": \"spread\", \"command\": [\"/bin/sleep\", \"1\"]}";
			EntityExchangeResult<Map<String, Object>> answer = b.api()
				.postBatch("{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(4, sleeper)) + "]}",
						"Prefer", "wait=60");
			assertThat(answer.getStatus().value()).isEqualTo(200);
			List<Map<String, Object>> jobs = Api.list(answer.getResponseBody().get("jobs"));
			assertThat(jobs).hasSize(4).allSatisfy((job) -> assertThat(job).containsEntry("state", "SUCCEEDED"));
			assertThat(jobs.stream().map((job) -> job.get("node")).distinct().count()).isGreaterThan(1);

			// The narrow pool's queue holds 5 across the cluster. With every node busy
			// and 3
			// queued through node a, a batch of 3 through node c does not fit and is
			// refused
			// whole; a batch of 2 fits.
			List<String> blockers = new java.util.ArrayList<>();
			for (ServiceProcess node : nodes) {
				String blocker = node.api().submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
				node.api().awaitState(blocker, "RUNNING");
				blockers.add(blocker);
			}
			String waiting = "{\"pool\": \"narrow\", \"command\": [\"/bin/true\"]}";
			List<String> queued = new java.util.ArrayList<>();
			for (int i = 0; i < 3; i++) {
				queued.add(a.api().submitId(waiting));
			}
			String probe = java.util.UUID.randomUUID().toString();
			String narrow = "{\"pool\": \"narrow\", \"command\": [\"/bin/true\"], \"labels\": {\"probe\": \"" + probe
					+ "\"}}";
			EntityExchangeResult<Map<String, Object>> refused = c.api()
				.postBatch("{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(3, narrow)) + "]}");
			assertThat(refused.getStatus().value()).isEqualTo(429);
			assertThat(a.api().listed("label=probe:{p}", probe)).isEmpty();
			EntityExchangeResult<Map<String, Object>> fits = c.api()
				.postBatch("{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(2, narrow)) + "]}");
			assertThat(fits.getStatus().value()).isEqualTo(202);
			assertThat(a.api().listed("label=probe:{p}", probe)).hasSize(2);
			blockers.forEach((id) -> a.api().client().delete().uri("/api/v1/jobs/" + id).exchange());
			queued.forEach((id) -> assertThat(b.api().awaitEnd(id)).containsEntry("state", "SUCCEEDED"));
			Api.list(fits.getResponseBody().get("jobs"))
				.forEach((job) -> assertThat(b.api().awaitEnd((String) job.get("id"))).containsEntry("state",
						"SUCCEEDED"));
		}

		@Test
		void concurrentSubmissionsToSeveralNodesNeverExceedTheQueueCapacity() {
			List<String> blockers = new java.util.ArrayList<>();
			for (ServiceProcess node : nodes) {
				String blocker = node.api().submitId("{\"pool\":\"narrow\",\"command\":[\"/bin/sleep\",\"300\"]}");
				node.api().awaitState(blocker, "RUNNING");
				blockers.add(blocker);
			}
			List<Integer> statuses = java.util.stream.IntStream.range(0, 30)
				.parallel()
				.mapToObj((i) -> nodes.get(i % 3)
					.api()
					.post("{\"pool\":\"narrow\",\"command\":[\"/bin/true\"]}")
					.getStatus()
					.value())
				.toList();
			assertThat(statuses.stream().filter((status) -> status == 202).count()).isEqualTo(5);
			assertThat(statuses.stream().filter((status) -> status == 429).count()).isEqualTo(25);
			blockers.forEach((id) -> a.api().client().delete().uri("/api/v1/jobs/" + id).exchange());
		}

		@Test
		void aJobsLiveOutputAskedOfAnotherNodeIsRedirectedToTheNodeThatRunsIt() throws Exception {
			String id = b.api()
				.submitId(
						"{\"pool\":\"reports\",\"command\":[\"/bin/sh\",\"-c\",\"echo first; sleep 2; echo second\"]}");
			b.api().awaitState(id, "RUNNING");
			java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
			java.net.http.HttpResponse<String> redirect = http.send(java.net.http.HttpRequest
				.newBuilder(java.net.URI.create(c.baseUrl() + "/api/v1/jobs/" + id + "/output"))
				.header("X-API-Key", Api.KEY)
				.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
			assertThat(redirect.statusCode()).isEqualTo(307);
			String location = redirect.headers().firstValue("Location").orElseThrow();
			// a's advertised URL: its host name and port.
			assertThat(java.net.URI.create(location).getPort()).isEqualTo(java.net.URI.create(a.baseUrl()).getPort());
			assertThat(location).endsWith("/api/v1/jobs/" + id + "/output?from=0:0");
			String events = http
				.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(location))
					.header("X-API-Key", Api.KEY)
					.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
				.body();
			assertThat(events)
				.contains("id:6:0\nevent:stdout\ndata:{\"stream\":\"stdout\",\"offset\":0,\"text\":\"first\\n\"}")
				.contains("id:13:0\nevent:stdout\ndata:{\"stream\":\"stdout\",\"offset\":6,\"text\":\"second\\n\"}")
				.contains("event:end");

			// Its output file, with a Range, from any node: redirected to a, which has
			// it.
			java.net.http.HttpClient following = java.net.http.HttpClient.newBuilder()
				.followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
				.build();
			java.net.http.HttpResponse<String> part = following.send(java.net.http.HttpRequest
				.newBuilder(java.net.URI.create(c.baseUrl() + "/api/v1/jobs/" + id + "/stdout"))
				.header("X-API-Key", Api.KEY)
				.header("Range", "bytes=6-")
				.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
			assertThat(part.statusCode()).isEqualTo(206);
			assertThat(part.body()).isEqualTo("second\n");
			assertThat(part.uri().getPort()).isEqualTo(java.net.URI.create(a.baseUrl()).getPort());
		}

		/**
		 * Jobs submitted to two nodes, run on all three, followed from the third and from
		 * the first: both see every job's end, numbered alike, in one increasing order.
		 */
		@Test
		void theEventStreamOfAnyNodeCarriesTheChangesOfEveryNodeInOneOrder() throws Exception {
			String run = "events-" + java.util.UUID.randomUUID();
			String job = "{\"pool\":\"spread\",\"command\":[\"/bin/sh\",\"-c\",\"sleep 0.2\"],\"labels\":{\"run\":\""
					+ run + "\"}}";
			try (SseStream fromC = SseStream.open(c.baseUrl() + "/api/v1/events?label=run:" + run);
					SseStream fromA = SseStream.open(a.baseUrl() + "/api/v1/events?label=run:" + run)) {
				assertThat(fromC.status()).isEqualTo(200);
				List<String> ids = new java.util.ArrayList<>();
				for (int i = 0; i < 6; i++) {
					ids.add(((i % 2 == 0) ? a : b).api().submitId(job));
				}
				java.util.function.Predicate<List<SseStream.Event>> allEnded = (received) -> received.stream()
					.filter((event) -> Api.isTerminal(event.data().get("state")))
					.map((event) -> event.data().get("id"))
					.distinct()
					.count() == ids.size();
				List<SseStream.Event> seenByC = fromC.until(allEnded, Duration.ofSeconds(60));
				List<SseStream.Event> seenByA = fromA.until(allEnded, Duration.ofSeconds(60));
				for (List<SseStream.Event> seen : List.of(seenByC, seenByA)) {
					assertThat(seen).extracting((event) -> Long.parseLong(event.id()))
						.isSorted()
						.doesNotHaveDuplicates();
					assertThat(seen).extracting((event) -> event.data().get("id")).isSubsetOf(ids.toArray());
				}
				java.util.Map<String, String> endsByC = ends(seenByC);
				assertThat(endsByC).hasSize(ids.size());
				assertThat(seenByC).filteredOn((event) -> Api.isTerminal(event.data().get("state")))
					.extracting((event) -> event.data().get("state"))
					.containsOnly("SUCCEEDED");
				assertThat(ends(seenByA)).as("the same numbers on both nodes").isEqualTo(endsByC);
				assertThat(seenByC.stream()
					.filter((event) -> "SUCCEEDED".equals(event.data().get("state")))
					.map((event) -> event.data().get("node"))
					.distinct()
					.count()).as("jobs that ran on more than one node").isGreaterThan(1);
			}
		}

		/** The number of the event that carried each job's end, by job. */
		private static java.util.Map<String, String> ends(List<SseStream.Event> events) {
			java.util.Map<String, String> ends = new java.util.TreeMap<>();
			for (SseStream.Event event : events) {
				if (Api.isTerminal(event.data().get("state"))) {
					ends.put((String) event.data().get("id"), event.id());
				}
			}
			return ends;
		}

		@Test
		void aPoolServedByOtherNodesOnlyIsRunThereWhicheverNodeReceivesTheSubmission() {
			Map<String, Object> job = b.api()
				.post("{\"pool\":\"reports\",\"command\":[\"/bin/echo\",\"report\"]}", "Prefer", "wait=20")
				.getResponseBody();
			assertThat(job).containsEntry("state", "SUCCEEDED")
				.containsEntry("pool", "reports")
				.containsEntry("node", nodeId(a));
			assertThat(c.api().post("{\"pool\":\"nowhere\",\"command\":[\"/bin/true\"]}").getStatus().value())
				.isEqualTo(404);
		}

	}

	/**
	 * Starts two nodes and a job with two processes on one of them (whichever claims it).
	 */
	private static Running runningOnOneOfTwo(Cluster cluster) throws java.io.IOException {
		List<ServiceProcess> nodes = List.of(cluster.start("a"), cluster.start("b"));
		String id = nodes.get(0).api().submitId(SLEEP);
		ServiceProcess owner = owner(nodes.get(0).api().awaitState(id, "RUNNING"), nodes);
		return new Running(id, owner, other(owner, nodes), awaitProcesses(id, 2));
	}

	/** A running job, the node that runs it, the other node, and the job's processes. */
	private record Running(String id, ServiceProcess owner, ServiceProcess other, List<ProcessTable.Entry> processes) {
	}

	private static List<Map<String, Object>> nodes(ServiceProcess node) {
		return node.api()
			.client()
			.get()
			.uri("/api/v1/nodes")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(new org.springframework.core.ParameterizedTypeReference<List<Map<String, Object>>>() {
			})
			.returnResult()
			.getResponseBody();
	}

	/** The node of {@code nodes} that runs the job. */
	private static ServiceProcess owner(Map<String, Object> job, List<ServiceProcess> nodes) {
		return nodes.stream().filter((node) -> nodeId(node).equals(job.get("node"))).findFirst().orElseThrow();
	}

	private static ServiceProcess other(ServiceProcess owner, List<ServiceProcess> nodes) {
		return nodes.stream().filter((node) -> node != owner).findFirst().orElseThrow();
	}

	private static String nodeId(ServiceProcess node) {
		return nodes(node).stream()
			.filter((entry) -> Boolean.TRUE.equals(entry.get("self")))
			.map((entry) -> (String) entry.get("id"))
			.findFirst()
			.orElseThrow();
	}

	private static Object nodeIdOf(Map<String, Object> job) {
		return job.get("node");
	}

	private static List<ProcessTable.Entry> awaitProcesses(String id, int count) {
		Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> ServiceProcess.processesOf(List.of(id)).size() >= count);
		return ServiceProcess.processesOf(List.of(id));
	}

	private static List<ProcessTable.Entry> alive(List<ProcessTable.Entry> processes) {
		Set<Long> live = ProcessTable.all()
			.stream()
			.filter((entry) -> !entry.isZombie())
			.map((entry) -> entry.pid() * 31 + entry.startTicks())
			.collect(Collectors.toSet());
		return processes.stream().filter((entry) -> live.contains(entry.pid() * 31 + entry.startTicks())).toList();
	}

}
