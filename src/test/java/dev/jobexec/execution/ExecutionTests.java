package dev.jobexec.execution;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.jobexec.execution.Execution.Phase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.jobexec.execution.WorkerPoolTests.spec;
import static dev.jobexec.execution.WorkerPoolTests.submit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The phase machine of one execution (queued, launching, running, ended) as its listener
 * and its runner see it: the start is reported before the end, the end exactly once, and
 * a termination reaches the runner whatever phase it arrives in.
 */
class ExecutionTests {

	private static final Duration DEADLINE = Duration.ofSeconds(10);

	/**
	 * Rounds of the race between an execution's end, its termination and the termination
	 * of the one queued behind it; {@code -Djobexec.race.seed=...} replays a failed run.
	 */
	private static final int RACE_ROUNDS = 1000;

	private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
			Thread.ofPlatform().name("execution-tests-timer").daemon(true).factory());

	private final ExecutorService threads = Executors
		.newCachedThreadPool(Thread.ofPlatform().name("execution-tests-", 0).daemon(true).factory());

	private final ControlledRunner runner = new ControlledRunner();

	ExecutionTests() {
		timer.setRemoveOnCancelPolicy(true);
	}

	@AfterEach
	void stopThreads() {
		timer.shutdownNow();
		threads.shutdownNow();
	}

	@Test
	void theListenerHearsTheStartBeforeTheEndAndTheEndOnce() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener listener = new RecordingListener();
		Execution execution = submit(pool, spec("job"), listener);
		assertThat(execution.phase()).isEqualTo(Phase.RUNNING);
		assertThat(listener.events()).containsExactly("started");

		runner.run("job").succeed();

		assertThat(execution.phase()).isEqualTo(Phase.ENDED);
		assertThat(listener.events()).containsExactly("started", "finished");
		assertThat(listener.outcome()).isEqualTo(ExecutionOutcome.taskReturned("done"));
	}

	@Test
	void aStartReportedWithTheEndReachesTheListenerOnceAndFreesTheSlot() {
		runner.reportingTheStartWithTheEnd();
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener first = new RecordingListener();
		RecordingListener second = new RecordingListener();
		Execution execution = submit(pool, spec("first"), first);
		submit(pool, spec("second"), second);
		assertThat(first.events()).isEmpty();
		assertThat(runner.hasStarted("second")).isFalse();

		runner.run("first").succeed();

		assertThat(execution.phase()).isEqualTo(Phase.ENDED);
		assertThat(first.events()).containsExactly("startedAndFinished");
		assertThat(first.outcome()).isEqualTo(ExecutionOutcome.taskReturned("done"));
		assertThat(runner.hasStarted("second")).as("the slot went to the queued execution").isTrue();
	}

	@Test
	void aListenerThatFailsAtTheEndStillLetsTheNextExecutionStart() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener failing = new RecordingListener(() -> {
			throw new IllegalStateException("the store refused the end");
		});
		submit(pool, spec("failing"), failing);
		submit(pool, spec("next"), new RecordingListener());

		assertThatIllegalStateException().isThrownBy(() -> runner.run("failing").succeed());

		assertThat(runner.hasStarted("next")).isTrue();
	}

	@Test
	void anExecutionTerminatedAfterItWasBoundButBeforeItLaunchedNeverStarts() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener listener = new RecordingListener();
		WorkerPool.Reservation reservation = pool.reserve();
		Execution execution = reservation.bind(spec("cancelled"), listener);

		assertThat(execution.terminate(TerminationReason.CANCELLED)).isTrue();
		reservation.submit();

		assertThat(runner.startedJobIds()).isEmpty();
		assertThat(execution.phase()).isEqualTo(Phase.ENDED);
		assertThat(listener.events()).containsExactly("finished");
		assertThat(listener.outcome()).isEqualTo(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED));
		assertThat(pool.snapshot().active()).isZero();
		submit(pool, spec("next"));
		assertThat(runner.startedJobIds()).containsExactly("next");
	}

	@Test
	void terminatingAQueuedExecutionCancelsItWithoutStartingIt() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		submit(pool, spec("running"));
		RecordingListener listener = new RecordingListener();
		Execution queued = submit(pool, spec("queued"), listener);
		assertThat(queued.phase()).isEqualTo(Phase.QUEUED);

		assertThat(queued.terminate(TerminationReason.CANCELLED)).isTrue();

		assertThat(queued.phase()).isEqualTo(Phase.ENDED);
		assertThat(listener.events()).containsExactly("finished");
		assertThat(listener.outcome()).isEqualTo(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED));
		runner.run("running").succeed();
		assertThat(runner.startedJobIds()).containsExactly("running");
		assertThat(pool.snapshot().queued()).isZero();
		assertThat(pool.snapshot().active()).isZero();
	}

	@Test
	void aTerminationDuringLaunchIsAppliedToTheHandleOnceTheRunnerReturnsIt() throws Exception {
		runner.endingOnTerminate();
		ControlledRunner.Gate gate = runner.holdNextStart();
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener listener = new RecordingListener();
		WorkerPool.Reservation reservation = pool.reserve();
		Execution execution = reservation.bind(spec("launching"), listener);
		CompletableFuture<Void> submitted = CompletableFuture.runAsync(reservation::submit, threads);
		gate.awaitEntered(DEADLINE);
		assertThat(execution.phase()).isEqualTo(Phase.LAUNCHING);

		assertThat(execution.terminate(TerminationReason.CANCELLED)).isTrue();

		assertThat(runner.run("launching").terminations()).as("the runner has not returned a handle yet").isEmpty();
		gate.open();
		submitted.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		assertThat(runner.run("launching").terminations()).containsExactly(TerminationReason.CANCELLED);
		assertThat(listener.events()).containsExactly("started", "finished");
		assertThat(listener.outcome().status()).isEqualTo(ExecutionOutcome.Status.CANCELLED);
		assertThat(execution.phase()).isEqualTo(Phase.ENDED);
	}

	@Test
	void aSecondTerminationReturnsFalseAndDoesNotReachTheRunner() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		Execution execution = submit(pool, spec("job"));

		assertThat(execution.terminate(TerminationReason.CANCELLED)).isTrue();
		assertThat(execution.terminate(TerminationReason.TIMEOUT)).isFalse();

		assertThat(runner.run("job").terminations()).containsExactly(TerminationReason.CANCELLED);
	}

	@Test
	void terminatingAnEndedExecutionReturnsFalse() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener listener = new RecordingListener();
		Execution execution = submit(pool, spec("job"), listener);
		runner.run("job").succeed();

		assertThat(execution.terminate(TerminationReason.CANCELLED)).isFalse();

		assertThat(runner.run("job").terminations()).isEmpty();
		assertThat(listener.events()).containsExactly("started", "finished");
	}

	@Test
	void theTimeoutTerminatesTheExecutionWithTimeout() {
		runner.endingOnTerminate();
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		RecordingListener listener = new RecordingListener();
		submit(pool, spec("slow", Duration.ofMillis(20), false), listener);

		await().atMost(DEADLINE).until(listener::hasFinished);

		assertThat(runner.run("slow").terminations()).containsExactly(TerminationReason.TIMEOUT);
		assertThat(listener.outcome().status()).isEqualTo(ExecutionOutcome.Status.TIMED_OUT);
		assertThat(listener.outcome().terminationReason()).isEqualTo(TerminationReason.TIMEOUT);
	}

	@Test
	void theEndStopsTheTimeoutClock() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		submit(pool, spec("job", Duration.ofHours(1), false));
		assertThat(timer.getQueue()).hasSize(1);

		runner.run("job").succeed();

		assertThat(timer.getQueue()).isEmpty();
	}

	@Test
	void theSlotOfAnEndedExecutionGoesToTheNextQueuedOneOnlyAfterTheListenerSawTheEnd() {
		WorkerPool pool = runner.pool("one", 1, 1, timer);
		List<String> startedWhenTheEndWasReported = new ArrayList<>();
		submit(pool, spec("first"),
				new RecordingListener(() -> startedWhenTheEndWasReported.addAll(runner.startedJobIds())));
		submit(pool, spec("second"));

		runner.run("first").succeed();

		assertThat(startedWhenTheEndWasReported).containsExactly("first");
		assertThat(runner.startedJobIds()).containsExactly("first", "second");
	}

	@Test
	void anEndReportedFromInsideTheRunnersStartFreesTheSlot() {
		JobRunner failingToStart = (spec, startedAt, listener) -> {
			listener.started(ExecutionStart.withoutProcess(startedAt));
			listener.finished(ExecutionOutcome.failedToStart("no such file"));
			return RunningJob.NONE;
		};
		WorkerPool pool = new WorkerPool("failing", ControlledRunner.config("failing", 1, 1), failingToStart, timer);
		RecordingListener first = new RecordingListener();
		RecordingListener second = new RecordingListener();

		Execution execution = submit(pool, spec("first"), first);
		submit(pool, spec("second"), second);

		assertThat(first.events()).containsExactly("started", "finished");
		assertThat(second.events()).containsExactly("started", "finished");
		assertThat(first.outcome()).isEqualTo(ExecutionOutcome.failedToStart("no such file"));
		assertThat(execution.phase()).isEqualTo(Phase.ENDED);
		assertThat(execution.terminate(TerminationReason.CANCELLED)).isFalse();
		assertThat(pool.snapshot().active()).isZero();
		assertThat(pool.snapshot().completed()).isEqualTo(2);
		assertThat(timer.getQueue()).isEmpty();
	}

	@Test
	void theEndIsReportedExactlyOnceWhenTerminationsRaceTheRunnersEnd() throws Exception {
		long seed = Long.getLong("jobexec.race.seed", System.nanoTime());
		Random random = new Random(seed);
		runner.endingOnTerminate();
		WorkerPool pool = runner.pool("race", 1, 1, timer);
		for (int round = 0; round < RACE_ROUNDS; round++) {
			String description = "seed " + seed + ", round " + round;
			String firstId = "first-" + round;
			String secondId = "second-" + round;
			List<String> startedAtFirstEnd = new ArrayList<>();
			RecordingListener first = new RecordingListener(() -> startedAtFirstEnd.addAll(runner.startedJobIds()));
			RecordingListener second = new RecordingListener();
			Execution firstExecution = submit(pool, spec(firstId), first);
			Execution secondExecution = submit(pool, spec(secondId), second);
			ControlledRunner.Run firstRun = runner.run(firstId);
			int[] spins = { random.nextInt(2000), random.nextInt(2000), random.nextInt(2000) };
			CountDownLatch go = new CountDownLatch(1);

			Future<?> ends = threads.submit(() -> {
				startTogether(go, spins[0]);
				firstRun.succeed();
				return null;
			});
			Future<Boolean> terminatesFirst = threads.submit(() -> {
				startTogether(go, spins[1]);
				return firstExecution.terminate(TerminationReason.CANCELLED);
			});
			Future<Boolean> terminatesSecond = threads.submit(() -> {
				startTogether(go, spins[2]);
				return secondExecution.terminate(TerminationReason.CANCELLED);
			});
			go.countDown();
			ends.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
			boolean firstTerminated = terminatesFirst.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
			boolean secondTerminated = terminatesSecond.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

			assertThat(first.events()).as(description).containsExactly("started", "finished");
			if (!firstTerminated) {
				assertThat(first.outcome().status()).as(description).isEqualTo(ExecutionOutcome.Status.SUCCEEDED);
			}
			assertThat(startedAtFirstEnd).as(description).doesNotContain(secondId);
			assertThat(secondTerminated).as(description).isTrue();
			if (runner.hasStarted(secondId)) {
				// The runner may be asked twice when the termination meets the end of the
				// launch; RunningJob allows that.
				assertThat(runner.run(secondId).terminations()).as(description)
					.isNotEmpty()
					.containsOnly(TerminationReason.CANCELLED);
				assertThat(second.events()).as(description).containsExactly("started", "finished");
				assertThat(second.outcome().terminationReason()).as(description).isEqualTo(TerminationReason.CANCELLED);
			}
			else {
				assertThat(second.events()).as(description).containsExactly("finished");
				assertThat(second.outcome()).as(description)
					.isEqualTo(ExecutionOutcome.cancelledWhileQueued(TerminationReason.CANCELLED));
			}
			assertThat(firstExecution.phase()).as(description).isEqualTo(Phase.ENDED);
			assertThat(secondExecution.phase()).as(description).isEqualTo(Phase.ENDED);
			assertThat(pool.snapshot().active()).as(description).isZero();
			assertThat(pool.snapshot().queued()).as(description).isZero();
		}
	}

	/** Waits for the start signal, then a random few spins to vary the interleaving. */
	private static void startTogether(CountDownLatch go, int spins) throws InterruptedException {
		if (!go.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
			throw new AssertionError("no start signal");
		}
		for (int i = 0; i < spins; i++) {
			Thread.onSpinWait();
		}
	}

}
