package dev.jobexec.execution.process;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;

import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.ExecutionStart;
import dev.jobexec.execution.OutputFiles;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.reaper.JobProcesses;
import dev.jobexec.support.JobexecHttpTest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The start-record delay ({@code jobexec.process.start-record-delay}): a process job that
 * ends within it reports its start and its end together, once (so the store writes it
 * once); one that runs longer reports its start at the end of the delay, while its leader
 * is alive, with the leader's start time from {@code /proc}. A runner of the service's
 * own parts (isolation, cgroups, timer), with real processes.
 */
@JobexecHttpTest
class StartRecordDelayTests {

	@Autowired
	ProcessProperties properties;

	@Autowired
	ScheduledExecutorService jobexecTimer;

	@Autowired
	JobProcesses processes;

	@Autowired
	JobIsolation isolation;

	@Autowired
	OutputFiles outputFiles;

	@Autowired
	ExecutionProperties execution;

	@Test
	void aJobThatEndsWithinTheDelayReportsItsStartWithItsEndOnce() {
		Calls calls = run(Duration.ofSeconds(1), "/bin/true");
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> calls.all.size() == 1);
		Call call = calls.all.getFirst();
		assertThat(call.kind()).isEqualTo("startedAndFinished");
		assertThat(call.start().pid()).isPositive();
		assertThat(call.start().at()).isEqualTo(calls.startedAt);
		// Reaped before it was reported: its pid may be another process's by now.
		assertThat(call.start().pidStartTicks()).isNull();
		assertThat(call.outcome().status()).isEqualTo(ExecutionOutcome.Status.SUCCEEDED);
		assertThat(call.outcome().exitCode()).isZero();
	}

	@Test
	void aJobThatOutlastsTheDelayReportsItsStartAtItsEndWhileItRuns() {
		Calls calls = run(Duration.ofMillis(300), "/bin/sleep", "2");
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !calls.all.isEmpty());
		Call started = calls.all.getFirst();
		assertThat(started.kind()).isEqualTo("started");
		assertThat(Duration.between(calls.startedAt, started.at())).isGreaterThanOrEqualTo(Duration.ofMillis(300));
		assertThat(started.leaderAlive()).as("the leader ran when its start was reported").isTrue();
		assertThat(started.start().pidStartTicks()).as("its start time, from /proc")
			.isEqualTo(started.leaderStartTicks());

		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> calls.all.size() == 2);
		assertThat(calls.all.get(1).kind()).isEqualTo("finished");
		assertThat(calls.all.get(1).outcome().status()).isEqualTo(ExecutionOutcome.Status.SUCCEEDED);
	}

	@Test
	void withoutADelayTheStartIsReportedAtOnce() {
		Calls calls = run(Duration.ZERO, "/bin/sleep", "2");
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !calls.all.isEmpty());
		Call started = calls.all.getFirst();
		assertThat(started.kind()).isEqualTo("started");
		assertThat(started.leaderAlive()).isTrue();
		assertThat(Duration.between(calls.startedAt, started.at())).isLessThan(Duration.ofMillis(1500));
		Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> calls.all.size() == 2);
		assertThat(calls.all.get(1).kind()).isEqualTo("finished");
	}

	@Test
	void theDelayIsBounded() {
		assertThat(ProcessProperties.MAX_START_RECORD_DELAY).isEqualTo(Duration.ofSeconds(1));
		assertThatIllegalArgumentException().isThrownBy(() -> withDelay(Duration.ofMillis(1001)))
			.withMessageContaining("jobexec.process.start-record-delay must be between 0 and 1000ms");
		assertThatIllegalArgumentException().isThrownBy(() -> withDelay(Duration.ofMillis(-1)))
			.withMessageContaining("start-record-delay");
	}

	/** Starts {@code command} on a runner of the {@code process} pool with this delay. */
	private Calls run(Duration delay, String... command) {
		ExecutionProperties.Pool pool = execution.pools().get("process");
		ProcessJobRunner runner = new ProcessJobRunner("process", pool, withDelay(delay), jobexecTimer, processes,
				isolation, outputFiles);
		Calls calls = new Calls(Instant.now());
		runner.start(new ExecutionSpec(UUID.randomUUID().toString(), List.of(command), null, null, null, null, null,
				Duration.ofMinutes(1), false), calls.startedAt, calls);
		return calls;
	}

	private ProcessProperties withDelay(Duration delay) {
		ProcessProperties p = properties;
		return new ProcessProperties(p.allowedCommands(), p.maxOutput(), p.maxOutputFile(), p.path(),
				p.allowedEnvOverrides(), p.limits(), p.runAs(), p.prlimit(), p.setpriv(), p.spawnHelper(), delay);
	}

	/**
	 * One report: its kind, when it came, and for a start whether the leader was alive
	 * then (in {@code /proc}, not a zombie) and its start time there.
	 */
	record Call(String kind, Instant at, ExecutionStart start, ExecutionOutcome outcome, boolean leaderAlive,
			Long leaderStartTicks) {
	}

	static final class Calls implements ExecutionListener {

		final Instant startedAt;

		final List<Call> all = new CopyOnWriteArrayList<>();

		Calls(Instant startedAt) {
			this.startedAt = startedAt;
		}

		@Override
		public void started(ExecutionStart start) {
			var leader = ProcessTable.read(start.pid());
			all.add(new Call("started", Instant.now(), start, null, leader.map((e) -> !e.isZombie()).orElse(false),
					leader.map(ProcessTable.Entry::startTicks).orElse(null)));
		}

		@Override
		public void finished(ExecutionOutcome outcome) {
			all.add(new Call("finished", Instant.now(), null, outcome, false, null));
		}

		@Override
		public void startedAndFinished(ExecutionStart start, ExecutionOutcome outcome) {
			all.add(new Call("startedAndFinished", Instant.now(), start, outcome, false, null));
		}

	}

}
