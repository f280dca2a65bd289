package dev.jobexec.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.jobexec.support.Api;
import dev.jobexec.support.Postgres;
import dev.jobexec.support.ServiceProcess;
import dev.jobexec.support.Tools;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL restarted under load: no submission is answered 500, every job in the store
 * ends SUCCEEDED and ran exactly once (an exactly-once ledger: each job appends its id to
 * a file), and every job answered 202 is among them.
 */
class DatabaseRestartTests {

	@TempDir
	Path dir;

	@Test
	void aRestartOfTheDatabaseUnderLoadNeverAnswers500AndRunsEveryJobExactlyOnce() throws Exception {
		String cluster = postgresCluster();
		Path ledger = dir.resolve("ledger");
		Files.createFile(ledger);
		String job = "{\"command\":[\"/bin/sh\",\"-c\",\"echo $JOBEXEC_JOB_ID >> " + ledger + "; sleep 0.1\"]}";
		try (Cluster nodes = new Cluster(dir)) {
			// A lease far longer than the restart: the node keeps it while the database
			// is
			// away.
			ServiceProcess node = nodes.start("a", "--jobexec.cluster.lease=20s",
					"--jobexec.pools.process.max-concurrency=4", "--jobexec.pools.process.queue-capacity=50");
			List<String> accepted = Collections.synchronizedList(new ArrayList<>());
			Map<Integer, Integer> answers = new ConcurrentHashMap<>();
			AtomicBoolean submitting = new AtomicBoolean(true);
			List<Thread> clients = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				clients.add(Thread.ofPlatform().start(() -> {
					while (submitting.get()) {
						var answer = node.api().post(job);
						answers.merge(answer.getStatus().value(), 1, Integer::sum);
						if (answer.getStatus().value() == 202) {
							accepted.add((String) answer.getResponseBody().get("id"));
						}
					}
				}));
			}
			try {
				Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> accepted.size() >= 30);
				Tools.Result restart = Tools.run(Duration.ofSeconds(60), null, List.of("pg_ctlcluster",
						cluster.split(" ")[0], cluster.split(" ")[1], "restart", "-m", "fast"));
				assertThat(restart.exitCode()).as(restart.output()).isZero();
				int before = accepted.size();
				Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= before + 30);
			}
			finally {
				submitting.set(false);
				for (Thread client : clients) {
					client.join(Duration.ofSeconds(30));
				}
			}
			// 503 while the database is away, unless the connection pool's wait outlasts
			// the
			// restart; never anything else.
			assertThat(answers.keySet()).as("answers: %s", answers).isSubsetOf(202, 429, 503);

			List<Map<String, Object>> stored = new ArrayList<>();
			Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
				stored.clear();
				stored.addAll(all(node.api()));
				return stored.stream().allMatch((j) -> Api.isTerminal(j.get("state")));
			});
			assertThat(stored).allSatisfy((j) -> assertThat(j).containsEntry("state", "SUCCEEDED"));
			Set<Object> storedIds = new HashSet<>(stored.stream().map((j) -> j.get("id")).toList());
			assertThat(storedIds).containsAll(accepted);
			List<String> ran = Files.readAllLines(ledger);
			assertThat(ran).doesNotHaveDuplicates();
			assertThat(new HashSet<Object>(ran)).isEqualTo(storedIds);
		}
	}

	/** Every job in the store, through the listing's pages. */
	private static List<Map<String, Object>> all(Api api) {
		List<Map<String, Object>> jobs = new ArrayList<>();
		String cursor = null;
		do {
			Map<String, Object> page = api.client()
				.get()
				.uri("/api/v1/jobs?limit=500" + ((cursor != null) ? "&cursor=" + cursor : ""))
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody(Api.JSON)
				.returnResult()
				.getResponseBody();
			jobs.addAll(Api.list(page.get("items")));
			cursor = (String) page.get("nextCursor");
		}
		while (cursor != null);
		return jobs;
	}

	/**
	 * The Debian cluster ({@code version name}) the test database runs on; the test is
	 * skipped (failed, when PostgreSQL is required) without one it may restart.
	 */
	private static String postgresCluster() {
		Postgres.freshSchemaUrl();
		String port = Postgres.URL.replaceAll(".*://[^:/]+:(\\d+)/.*", "$1");
		Tools.Result clusters = Tools.run(Duration.ofSeconds(10), null, List.of("pg_lsclusters", "-h"));
		for (String line : clusters.output().split("\n")) {
			String[] fields = line.trim().split("\\s+");
			if (fields.length >= 4 && fields[2].equals(port) && fields[3].equals("online")) {
				return fields[0] + " " + fields[1];
			}
		}
		String reason = "no local Debian PostgreSQL cluster on port " + port + " to restart";
		if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_POSTGRES"))) {
			throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_POSTGRES is set)");
		}
		Assumptions.abort(reason);
		return null;
	}

}
