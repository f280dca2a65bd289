package dev.jobexec.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The bounds of a pool, built directly over a runner the test controls: how many run, how
 * many wait, in what order they start, and what shutdown does to each of them.
 */
class WorkerPoolTests {

	private static final Duration DEADLINE = Duration.ofSeconds(10);

	private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
			Thread.ofPlatform().name("worker-pool-tests-timer").daemon(true).factory());

	private final ExecutorService threads = Executors
		.newCachedThreadPool(Thread.ofPlatform().name("worker-pool-tests-", 0).daemon(true).factory());

	private final ControlledRunner runner = new ControlledRunner();

	@AfterEach
	void stopThreads() {
		timer.shutdownNow();
		threads.shutdownNow();
	}

	@Test
	void runsNoMoreThanMaxConcurrencyAndStartsTheQueuedAsSlotsFree() {
		WorkerPool pool = runner.pool("narrow", 2, 10, timer);
		for (int i = 0; i < 5; i++) {
			submit(pool, spec("job-" + i));
		}
		assertThat(runner.startedJobIds()).containsExactly("job-0", "job-1");
		assertThat(pool.snapshot().active()).isEqualTo(2);
		assertThat(pool.snapshot().queued()).isEqualTo(3);

		runner.run("job-1").succeed();

		assertThat(runner.startedJobIds()).containsExactly("job-0", "job-1", "job-2");
		assertThat(pool.snapshot().active()).isEqualTo(2);
		assertThat(pool.snapshot().queued()).isEqualTo(2);
	}

	@Test
	void freeSlotsHeldForAClaimAreNotTakenBySubmissionsAndComeBackWhenReleased() {
		WorkerPool pool = runner.pool("claimed", 2, 10, timer);
		submit(pool, spec("running"));
		List<WorkerPool.Reservation> held = pool.reserveFreeSlots(Integer.MAX_VALUE);
		assertThat(held).hasSize(1);
		assertThat(pool.reserveFreeSlot()).isNull();
		assertThat(pool.reserveFreeSlots(5)).isEmpty();

		held.getFirst().release();

		WorkerPool.Reservation slot = pool.reserveFreeSlot();
		assertThat(slot).isNotNull();
		slot.bind(spec("claimed-job"), new RecordingListener());
		slot.submit();
		assertThat(runner.startedJobIds()).containsExactly("running", "claimed-job");
		assertThat(pool.snapshot().queued()).isZero();
	}

	@Test
	void neverRunsMoreThanMaxConcurrencyWhileSubmissionsAndEndsRace() throws Exception {
		ExecutorService enders = Executors.newFixedThreadPool(2,
				Thread.ofPlatform().name("worker-pool-tests-ender-", 0).daemon(true).factory());
		try {
			runner.endingRightAfterStart(enders);
			WorkerPool pool = runner.pool("busy", 3, 1000, timer);
			int jobs = 400;
			List<CompletableFuture<Void>> submissions = new ArrayList<>();
			for (int submitter = 0; submitter < 4; submitter++) {
				int first = submitter * (jobs / 4);
				submissions.add(CompletableFuture.runAsync(
						() -> IntStream.range(first, first + jobs / 4).forEach((i) -> submit(pool, spec("job-" + i))),
						threads));
			}
			await().atMost(DEADLINE).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
				assertThat(pool.snapshot().active()).isLessThanOrEqualTo(3);
				assertThat(pool.snapshot().completed()).isEqualTo(jobs);
			});
			CompletableFuture.allOf(submissions.toArray(CompletableFuture[]::new))
				.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
			assertThat(runner.started()).hasSize(jobs);
			assertThat(runner.mostRunning()).isBetween(1, 3);
			assertThat(pool.snapshot().queued()).isZero();
		}
		finally {
			enders.shutdownNow();
		}
	}

	@Test
	void queuedExecutionsStartInTheOrderTheyWereSubmitted() {
		WorkerPool pool = runner.pool("fifo", 2, 10, timer);
		List<String> submitted = IntStream.range(0, 8).mapToObj((i) -> "job-" + i).toList();
		submitted.forEach((id) -> submit(pool, spec(id)));
		// End them out of order, the newest and the oldest running in turn: whichever
		// slot frees, the oldest queued execution takes it.
		List<String> ended = new ArrayList<>();
		for (int round = 0; round < 6; round++) {
			List<String> running = runner.startedJobIds().stream().filter((id) -> !ended.contains(id)).toList();
			String next = (round % 2 == 0) ? running.getLast() : running.getFirst();
			runner.run(next).succeed();
			ended.add(next);
		}
		assertThat(runner.startedJobIds()).containsExactlyElementsOf(submitted);
	}

	@Test
	void aLongQueueOfExecutionsThatEndInsideStartIsWorkedThroughWithoutDeepRecursion() throws Exception {
		// A process runner reports a failed spawn (EAGAIN, EMFILE) from inside start;
		// each
		// end hands the slot to the next queued execution, on the same thread.
		JobRunner spawnFailing = (spec, startedAt, listener) -> {
			if (spec.jobId().equals("running")) {
				return runner.start(spec, startedAt, listener);
			}
			listener.started(ExecutionStart.withoutProcess(startedAt));
			listener.finished(ExecutionOutcome.failedToStart("could not start: Resource temporarily unavailable"));
			return RunningJob.NONE;
		};
		// Its own timer: a stack overflow inside the timer's queue lock would leave that
		// lock held, and shutting the timer down would then hang.
		ScheduledThreadPoolExecutor ownTimer = new ScheduledThreadPoolExecutor(1,
				Thread.ofPlatform().name("worker-pool-tests-own-timer").daemon(true).factory());
		int queued = 2000;
		WorkerPool pool = new WorkerPool("spawn-failing", ControlledRunner.config("spawn-failing", 1, queued),
				spawnFailing, ownTimer);
		submit(pool, spec("running"));
		List<RecordingListener> listeners = new ArrayList<>();
		for (int i = 0; i < queued; i++) {
			RecordingListener listener = new RecordingListener();
			listeners.add(listener);
			submit(pool, spec("queued-" + i), listener);
		}

		CompletableFuture<Void> ended = new CompletableFuture<>();
		Thread.ofPlatform().name("worker-pool-tests-small-stack").daemon(true).stackSize(256 * 1024).start(() -> {
			try {
				runner.run("running").succeed();
				ended.complete(null);
			}
			catch (Throwable ex) {
				ended.completeExceptionally(ex);
			}
		});

		ended.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
		assertThat(listeners)
			.allSatisfy((listener) -> assertThat(listener.events()).containsExactly("started", "finished"));
		assertThat(pool.snapshot().active()).isZero();
		assertThat(pool.snapshot().queued()).isZero();
		assertThat(pool.snapshot().completed()).isEqualTo(queued + 1);
		ownTimer.shutdownNow();
	}

	@Nested
	class QueueCapacity {

		@Test
		void aFullPoolRefusesTheNextReservationWith429() {
			WorkerPool pool = runner.pool("small", 1, 2, timer);
			for (int i = 0; i < 3; i++) {
				submit(pool, spec("job-" + i));
			}
			assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve)
				.satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS));
			assertThat(pool.snapshot().rejected()).isEqualTo(1);

			runner.run("job-0").succeed();

			assertThat(pool.reserve()).isNotNull();
		}

		@Test
		void reservationsHoldTheirPlaceUntilReleased() {
			WorkerPool pool = runner.pool("small", 1, 2, timer);
			List<WorkerPool.Reservation> held = List.of(pool.reserve(), pool.reserve(), pool.reserve());
			assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve);

			held.getFirst().release();

			WorkerPool.Reservation again = pool.reserve();
			assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve);
			assertThat(pool.snapshot().rejected()).isEqualTo(2);
			assertThat(pool.snapshot().active()).isZero();
			assertThat(pool.snapshot().queued()).isZero();
			assertThat(again).isNotNull();
		}

		@Test
		void reserveAcceptedTakesBackAJobEvenWhenTheQueueIsFull() {
			WorkerPool pool = runner.pool("small", 1, 1, timer);
			submit(pool, spec("running"));
			submit(pool, spec("queued"));
			assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve);

			WorkerPool.Reservation accepted = pool.reserveAccepted();
			accepted.bind(spec("recovered"), new RecordingListener());
			accepted.submit();

			assertThat(pool.snapshot().queued()).isEqualTo(2);
			runner.run("running").succeed();
			runner.run("queued").succeed();
			assertThat(runner.startedJobIds()).containsExactly("running", "queued", "recovered");
		}

		@Test
		void aReservationIsUsedOnce() {
			WorkerPool pool = runner.pool("small", 1, 1, timer);
			WorkerPool.Reservation unbound = pool.reserve();
			assertThatIllegalStateException().isThrownBy(unbound::submit);
			WorkerPool.Reservation reservation = pool.reserve();
			reservation.bind(spec("once"), new RecordingListener());
			assertThatIllegalStateException()
				.isThrownBy(() -> reservation.bind(spec("twice"), new RecordingListener()));
			reservation.submit();
			assertThatIllegalStateException().isThrownBy(reservation::submit);
			assertThatIllegalStateException().isThrownBy(reservation::release);
			assertThat(runner.startedJobIds()).containsExactly("once");
		}

	}

	@Test
	void snapshotCountsActiveQueuedCompletedAndRejected() {
		WorkerPool pool = runner.pool("figures", 2, 2, timer);
		List<Execution> executions = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			executions.add(submit(pool, spec("job-" + i)));
		}
		assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve);
		assertThatExceptionOfType(PoolFullException.class).isThrownBy(pool::reserve);
		runner.run("job-0").succeed();
		executions.get(3).terminate(TerminationReason.CANCELLED);

		PoolSnapshot snapshot = pool.snapshot();
		assertThat(snapshot.name()).isEqualTo("figures");
		assertThat(snapshot.maxConcurrency()).isEqualTo(2);
		assertThat(snapshot.queueCapacity()).isEqualTo(2);
		assertThat(snapshot.active()).as("job-1 and job-2 run").isEqualTo(2);
		assertThat(snapshot.queued()).isZero();
		assertThat(snapshot.completed()).as("job-0 ran and ended; job-3 never ran").isEqualTo(1);
		assertThat(snapshot.rejected()).isEqualTo(2);
		assertThat(snapshot.accepting()).isTrue();
	}

	@Test
	void aClosedPoolRefusesReservationsWith503ButKeepsWhatItHas() {
		WorkerPool pool = runner.pool("closing", 1, 5, timer);
		submit(pool, spec("running"));
		submit(pool, spec("queued"));
		WorkerPool.Reservation reservedBeforeClose = pool.reserve();

		pool.close();

		assertThatExceptionOfType(PoolClosedException.class).isThrownBy(pool::reserve)
			.satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE));
		assertThatExceptionOfType(PoolClosedException.class).isThrownBy(pool::reserveAccepted);
		assertThat(pool.snapshot().accepting()).isFalse();
		assertThat(pool.snapshot().rejected()).isEqualTo(2);
		// A submission reserved before the close was stored as accepted: it still runs.
		reservedBeforeClose.bind(spec("reserved"), new RecordingListener());
		reservedBeforeClose.submit();
		runner.run("running").succeed();
		runner.run("queued").succeed();
		assertThat(runner.startedJobIds()).containsExactly("running", "queued", "reserved");
	}

	@Nested
	class Shutdown {

		@TempDir
		Path dataDir;

		@Test
		void cancelsQueuedDaemonsTerminatesRunningDaemonsAndLeavesQueuedNonDaemonsQueued() throws Exception {
			runner.endingOnTerminate();
			PoolRouter router = router();
			WorkerPool narrow = router.pool("narrow");
			RecordingListener runningDaemon = new RecordingListener();
			RecordingListener queuedDaemon = new RecordingListener();
			RecordingListener queued = new RecordingListener();
			RecordingListener draining = new RecordingListener();
			submit(narrow, daemonSpec("running-daemon"), runningDaemon);
			submit(narrow, daemonSpec("queued-daemon"), queuedDaemon);
			submit(narrow, spec("queued"), queued);
			submit(router.pool("thread"), spec("draining"), draining);

			CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> shutdown(router, Duration.ofMinutes(1)),
					threads);

			await().atMost(DEADLINE).until(() -> queuedDaemon.hasFinished() && runningDaemon.hasFinished());
			assertThat(queuedDaemon.events()).containsExactly("finished");
			assertThat(queuedDaemon.outcome())
				.isEqualTo(ExecutionOutcome.cancelledWhileQueued(TerminationReason.SHUTDOWN));
			assertThat(runner.hasStarted("queued-daemon")).isFalse();
			assertThat(runner.run("running-daemon").terminations()).containsExactly(TerminationReason.SHUTDOWN);
			assertThat(runningDaemon.outcome().terminationReason()).isEqualTo(TerminationReason.SHUTDOWN);

			assertThatExceptionOfType(PoolClosedException.class).isThrownBy(narrow::reserve);
			assertThat(shutdown).as("a non-daemon job still runs").isNotDone();
			assertThat(runner.run("draining").terminations()).isEmpty();
			runner.run("draining").succeed();
			shutdown.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

			assertThat(draining.outcome().status()).isEqualTo(ExecutionOutcome.Status.SUCCEEDED);
			assertThat(runner.hasStarted("queued")).as("the free slot is not used during shutdown").isFalse();
			assertThat(queued.events()).isEmpty();
			assertThat(narrow.snapshot().queued()).isEqualTo(1);
			assertThat(narrow.snapshot().active()).isZero();
		}

		@Test
		void terminatesNonDaemonsThatOutliveTheDrainTimeout() throws Exception {
			runner.endingOnTerminate();
			PoolRouter router = router();
			RecordingListener outlives = new RecordingListener();
			RecordingListener queued = new RecordingListener();
			submit(router.pool("narrow"), spec("outlives"), outlives);
			submit(router.pool("narrow"), spec("queued"), queued);

			router.shutdown(Duration.ofMillis(100));

			assertThat(runner.run("outlives").terminations()).containsExactly(TerminationReason.SHUTDOWN);
			assertThat(outlives.outcome().status()).isEqualTo(ExecutionOutcome.Status.CANCELLED);
			assertThat(outlives.outcome().terminationReason()).isEqualTo(TerminationReason.SHUTDOWN);
			assertThat(queued.events()).isEmpty();
			assertThat(router.pool("narrow").snapshot().queued()).isEqualTo(1);
		}

		private PoolRouter router() {
			ExecutionProperties properties = new ExecutionProperties(dataDir,
					Map.of("narrow",
							new ExecutionProperties.Pool(PoolType.PROCESS, 1, 5, null, null, null, null, null)),
					new ExecutionProperties.Shutdown(DEADLINE));
			return new PoolRouter(properties, List.of(factory(PoolType.PROCESS), factory(PoolType.THREAD)), timer);
		}

		private JobRunnerFactory factory(PoolType type) {
			return RunnerFixtures.factory(type, runner);
		}

		private static void shutdown(PoolRouter router, Duration drainTimeout) {
			try {
				router.shutdown(drainTimeout);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}

	}

	static Execution submit(WorkerPool pool, ExecutionSpec spec) {
		return submit(pool, spec, new RecordingListener());
	}

	static Execution submit(WorkerPool pool, ExecutionSpec spec, ExecutionListener listener) {
		WorkerPool.Reservation reservation = pool.reserve();
		Execution execution = reservation.bind(spec, listener);
		reservation.submit();
		return execution;
	}

	static ExecutionSpec spec(String jobId) {
		return spec(jobId, Duration.ofMinutes(5), false);
	}

	static ExecutionSpec daemonSpec(String jobId) {
		return spec(jobId, Duration.ofMinutes(5), true);
	}

	static ExecutionSpec spec(String jobId, Duration timeout, boolean daemon) {
		return new ExecutionSpec(jobId, null, "test", Map.of(), null, null, null, timeout, daemon);
	}

}
