package dev.jobexec.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import lombok.extern.slf4j.Slf4j;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;

/**
 * The spawn helper: {@code libjobexec-spawn} (src/main/c/jobexec-spawn.c), a small C
 * library loaded into the service, that starts every process job with one {@code clone}
 * and one {@code execve} from the calling thread, the way {@code posix_spawn} does
 * ({@code CLONE_VM | CLONE_VFORK}: nothing is copied, the caller waits until the child
 * has exec'd). Before its exec the child takes the job's pipes as descriptors 0 to 2,
 * closes every other descriptor, joins the job's cgroups, starts a new session, applies
 * the rlimits, changes to the working directory, drops to the run-as user and sets every
 * signal to its default; the call hands back a pidfd of it. Starts from different threads
 * run side by side; a virtual thread hands its start to a platform thread, so that no
 * carrier is pinned while a child execs. A child that does not reach its exec within a
 * deadline (a {@code chdir} or {@code execve} on a hung file system) is killed, which
 * ends the wait, and its job's start fails; a child in a wait that not even SIGKILL ends
 * holds its thread until the kernel lets it go.
 */
@Slf4j
public final class SpawnHelper implements AutoCloseable {

	/** Resource numbers of setrlimit(2) (x86_64 and aarch64 agree on these). */
	public static final int RLIMIT_CPU = 0;

	public static final int RLIMIT_CORE = 4;

	public static final int RLIMIT_NPROC = 6;

	public static final int RLIMIT_NOFILE = 7;

	public static final int RLIMIT_AS = 9;

	/** What the library's failure steps mean, by number (see jobexec-spawn.c). */
	private static final String[] STEPS = { "none", "the request", "opening the job's cgroup", "pipe2", "clone",
			"joining the job's cgroups", "setsid", "moving the pipes to 0 to 2 (dup3)", "setrlimit",
			"dropping to the run-as user", "changing to the working directory", "close_range", "execve" };

	private static final int STEP_CHDIR = 10;

	private static final int STEP_EXEC = 12;

	/** What the trial start at loading runs: a path that does not exist. */
	private static final String PROBE = "/nonexistent/jobexec-spawn-probe";

	/**
	 * How long a job's process may take from its clone to its exec (the call returns only
	 * then) before it is killed and the start fails.
	 */
	static final Duration REPLY_DEADLINE = Duration.ofSeconds(30);

	/**
	 * How often the watchdog looks for late calls: a call is killed up to this much after
	 * its deadline, and a kill that found no pidfd yet is tried again this much later.
	 */
	private static final Duration WATCHDOG_TICK = Duration.ofMillis(250);

	/**
	 * The calls under way, which the watchdog looks through at each tick: adding and
	 * removing a call costs less than a timer task of its own, whose scheduling woke the
	 * watchdog's thread for every job.
	 */
	private static final Set<Watch> CALLS = ConcurrentHashMap.newKeySet();

	/** Kills children that are late for their exec; one thread for all starts. */
	private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

	/** The platform threads that start the jobs virtual threads start. */
	private static final ExecutorService STARTERS = Executors
		.newCachedThreadPool(Thread.ofPlatform().name("jobexec-spawn-", 0).daemon(true).factory());

	/** Results of calls that have returned, for the next calls. */
	private static final Queue<MemorySegment> RESULTS = new ConcurrentLinkedQueue<>();

	private final MethodHandle spawn;

	private final Duration replyDeadline;

	private SpawnHelper(MethodHandle spawn, Duration replyDeadline) {
		this.spawn = spawn;
		this.replyDeadline = replyDeadline;
	}

	/**
	 * Loads the library at {@code library}.
	 * @throws IOException with the reason when it cannot be loaded
	 */
	public static SpawnHelper start(Path library) throws IOException {
		return start(library, REPLY_DEADLINE);
	}

	/** The same, with another deadline for the exec (tests). */
	static SpawnHelper start(Path library, Duration replyDeadline) throws IOException {
		SpawnHelper helper = new SpawnHelper(
				Libc.load(library, "jobexec_spawn", FunctionDescriptor.of(INT, ADDRESS, LONG, ADDRESS, ADDRESS)),
				replyDeadline);
		helper.probe();
		return helper;
	}

	/**
	 * A trial start of a command that does not exist: its child must get through the
	 * clone and the steps every job takes (descriptors, session, directory, signals) up
	 * to its exec, and fail there. What keeps those from working on this machine (a
	 * seccomp filter, for one) shows at the service's start, which then starts jobs
	 * without the helper, instead of at every job. (The steps of limits, cgroups and
	 * user, which a job may not have, are not tried.)
	 */
	private void probe() throws IOException {
		Request request = new Request(List.of(PROBE), List.of(), Path.of("/"), false, List.of(), null, null, null,
				List.of());
		Started started;
		try {
			started = spawnHere(request);
		}
		catch (StartFailedException ex) {
			if (ex.step == STEP_EXEC) {
				// Reached its exec: ENOENT, or whatever else this path is here.
				return;
			}
			throw new IOException("a trial start failed: " + ex.getMessage(), ex);
		}
		// It exists after all, and ran: the helper works, and what it started must not
		// run on.
		try {
			ProcessControl.signalPidFd(started.pidFd(), ProcessControl.SIGKILL);
		}
		finally {
			awaitReaped(started.process().pid(), Duration.ofSeconds(5));
			Poller.close(started.pidFd());
			Poller.close(started.process().stdout());
			Poller.close(started.process().stderr());
		}
	}

	private static ScheduledThreadPoolExecutor watchdog() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
				Thread.ofPlatform().name("jobexec-spawn-watchdog").daemon(true).factory());
		executor.scheduleWithFixedDelay(SpawnHelper::expireLateCalls, WATCHDOG_TICK.toNanos(), WATCHDOG_TICK.toNanos(),
				TimeUnit.NANOSECONDS);
		return executor;
	}

	/** A job to start: its argv, environment, directory, limits and cgroups. */
	public record Request(List<String> argv, List<String> environment, Path directory, boolean pipeStdin,
			List<Rlimit> rlimits, Integer uid, Integer gid, Path cgroupV2, List<Path> cgroupV1Procs) {

		public Request {
			argv = List.copyOf(argv);
			environment = List.copyOf(environment);
			rlimits = List.copyOf(rlimits);
			cgroupV1Procs = List.copyOf(cgroupV1Procs);
		}

	}

	/** One rlimit, {@code setrlimit(resource, {soft, hard})}; -1 is unlimited. */
	public record Rlimit(int resource, long soft, long hard) {
	}

	/** A started job: our ends of its pipes and a pidfd of it. */
	public record Started(Spawner.Spawned process, int pidFd) {
	}

	/**
	 * Starts one job.
	 * @throws IOException with the reason when the job could not be started (a failed
	 * {@code chdir} or {@code execve} included)
	 */
	public Started spawn(Request request) throws IOException {
		if (!Thread.currentThread().isVirtual()) {
			return spawnHere(request);
		}
		Future<Started> started = STARTERS.submit(() -> spawnHere(request));
		boolean interrupted = false;
		try {
			while (true) {
				try {
					return started.get();
				}
				catch (InterruptedException ex) {
					// The start goes on regardless: its process must not be left
					// unwatched.
					interrupted = true;
				}
				catch (ExecutionException ex) {
					if (ex.getCause() instanceof IOException failed) {
						throw failed;
					}
					if (ex.getCause() instanceof RuntimeException failed) {
						throw failed;
					}
					if (ex.getCause() instanceof Error failed) {
						throw failed;
					}
					throw new IllegalStateException(ex.getCause());
				}
			}
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private Started spawnHere(Request request) throws IOException {
		byte[] body = encode(request);
		int[] in = request.pipeStdin() ? Spawner.pipe() : null;
		int[] out = null;
		int[] err = null;
		try {
			out = Spawner.pipe();
			err = Spawner.pipe();
			int stdinFd = (in != null) ? in[0] : Spawner.openDevNull();
			Reply reply;
			try {
				reply = call(body, new int[] { stdinFd, out[1], err[1] });
			}
			finally {
				if (in == null) {
					Poller.close(stdinFd);
				}
			}
			if (reply.late() || reply.step() != 0) {
				if (reply.pid() > 0) {
					// The child has exited (or was killed); it is ours to reap.
					Poller.close(reply.pidFd());
					awaitReaped(reply.pid(), Duration.ofSeconds(5));
				}
				if (reply.late()) {
					throw new IOException("the job's process did not reach its exec within " + replyDeadline
							+ " (a hung chdir or execve?), and was killed");
				}
				throw new StartFailedException(describe(request, reply), reply.step(), reply.errno());
			}
			if (reply.pid() <= 0 || reply.pidFd() < 0) {
				throw new IOException("the spawn helper returned no pid or pidfd");
			}
			Spawner.Spawned spawned = new Spawner.Spawned(reply.pid(), (in != null) ? in[1] : -1, out[0], err[0]);
			if (in != null) {
				Spawner.nonBlocking(in[1]);
				in[1] = -1;
			}
			out[0] = -1;
			err[0] = -1;
			return new Started(spawned, reply.pidFd());
		}
		finally {
			for (int[] pipe : new int[][] { in, out, err }) {
				if (pipe != null) {
					Poller.close(pipe[0]);
					Poller.close(pipe[1]);
				}
			}
		}
	}

	/**
	 * One call of {@code jobexec_spawn}, with the watchdog armed: past the deadline it
	 * kills the child through the pidfd the call has written already, which ends the
	 * call.
	 */
	private Reply call(byte[] body, int[] fds) throws IOException {
		// The result is read by the watchdog's thread too. A shared arena would do, but
		// closing one stops every thread of the JVM for a moment: results are kept and
		// reused instead.
		MemorySegment result = RESULTS.poll();
		if (result == null) {
			result = Arena.global().allocate(INT, 4);
		}
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment request = arena.allocate(body.length);
			MemorySegment.copy(MemorySegment.ofArray(body), 0, request, 0, body.length);
			MemorySegment descriptors = arena.allocateFrom(INT, fds);
			result.setAtIndex(INT, 1, -1);
			Watch watch = new Watch(result, replyDeadline);
			watch.arm();
			MemorySegment written = result;
			boolean late;
			try {
				int rc = Libc.call("jobexec_spawn", IOException.class,
						() -> (int) spawn.invokeExact(request, (long) body.length, descriptors, written));
				if (rc != 0) {
					throw new IOException("the spawn helper failed (" + rc + ")");
				}
			}
			finally {
				// Before the result is reused: no kill of this call's may come after.
				late = watch.returned();
			}
			return new Reply(result.getAtIndex(INT, 0), result.getAtIndex(INT, 2), result.getAtIndex(INT, 3),
					result.getAtIndex(INT, 1), late);
		}
		finally {
			RESULTS.add(result);
		}
	}

	/** One watchdog tick: the calls past their deadline are killed. */
	private static void expireLateCalls() {
		long now = System.nanoTime();
		for (Watch watch : CALLS) {
			try {
				watch.expireIfLate(now);
			}
			catch (RuntimeException | Error ex) {
				// Anything thrown out of a tick would end the watchdog's schedule.
				log.warn("The spawn watchdog could not check a start", ex);
			}
		}
	}

	/** Whether a start is late for its exec; it kills the child when it is. */
	private static final class Watch {

		private final MemorySegment result;

		private final long deadline;

		private boolean returned;

		private boolean killed;

		Watch(MemorySegment result, Duration after) {
			this.result = result;
			this.deadline = System.nanoTime() + after.toNanos();
		}

		void arm() {
			CALLS.add(this);
		}

		private synchronized void expireIfLate(long now) {
			if (returned || killed || now - deadline < 0) {
				return;
			}
			// -1 until the clone has made the child; the number may also come a moment
			// before the kernel installs the descriptor: then again at the next tick.
			int pidFd = result.getAtIndex(INT, 1);
			try {
				if (pidFd >= 0) {
					killed = ProcessControl.signalPidFd(pidFd, ProcessControl.SIGKILL);
					if (killed) {
						log.warn("A job's process did not reach its exec in time; killed it");
					}
				}
			}
			catch (RuntimeException ex) {
				log.debug("Could not kill a job's process late for its exec yet: {}", ex.getMessage());
			}
		}

		/** Marks the call returned; says whether the watchdog killed its child. */
		synchronized boolean returned() {
			returned = true;
			CALLS.remove(this);
			return killed;
		}

	}

	@Override
	public void close() {
		// Nothing of it runs between calls; the library stays loaded.
	}

	/**
	 * Reaps the child {@code pid} once it has ended, waiting up to {@code within};
	 * returns whether it is gone (reaped here, or already by the reaper, which reaps
	 * unowned zombies).
	 */
	private static boolean awaitReaped(int pid, Duration within) {
		long deadline = System.nanoTime() + within.toNanos();
		try {
			while (ProcessControl.reap(pid) == null) {
				if (System.nanoTime() > deadline) {
					return false;
				}
				Thread.sleep(1);
			}
		}
		catch (IllegalStateException ex) {
			// Reaped already.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		return true;
	}

	private static String describe(Request request, Reply reply) {
		String reason = Libc.strerror(reply.errno());
		return switch (reply.step()) {
			case STEP_EXEC -> request.argv().getFirst() + ": " + reason;
			case STEP_CHDIR -> "cannot change to " + request.directory() + ": " + reason;
			default ->
				((reply.step() < STEPS.length) ? STEPS[reply.step()] : "step " + reply.step()) + " failed: " + reason;
		};
	}

	private record Reply(int pid, int step, int errno, int pidFd, boolean late) {
	}

	/** A step of the child's before its exec failed: which, and its errno. */
	private static final class StartFailedException extends IOException {

		private final int step;

		private final int errno;

		StartFailedException(String message, int step, int errno) {
			super(message);
			this.step = step;
			this.errno = errno;
		}

	}

	/** The request as jobexec-spawn.c reads it. */
	static byte[] encode(Request request) {
		List<byte[]> strings = new ArrayList<>();
		int size = 4 * 4 + request.rlimits().size() * 20 + 4 * 3;
		size += sized(strings,
				(request.cgroupV2() != null) ? request.cgroupV2().resolve("cgroup.procs").toString() : "");
		for (Path procs : request.cgroupV1Procs()) {
			size += sized(strings, procs.toString());
		}
		size += sized(strings, request.directory().toString());
		for (String argument : request.argv()) {
			size += sized(strings, argument);
		}
		for (String variable : request.environment()) {
			size += sized(strings, variable);
		}
		ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
		buffer.putInt(2);
		buffer.putInt((request.uid() != null) ? request.uid() : -1);
		buffer.putInt((request.gid() != null) ? request.gid() : -1);
		buffer.putInt(request.rlimits().size());
		for (Rlimit limit : request.rlimits()) {
			buffer.putInt(limit.resource()).putLong(limit.soft()).putLong(limit.hard());
		}
		int next = 0;
		putString(buffer, strings.get(next++));
		buffer.putInt(request.cgroupV1Procs().size());
		for (int i = 0; i < request.cgroupV1Procs().size(); i++) {
			putString(buffer, strings.get(next++));
		}
		putString(buffer, strings.get(next++));
		buffer.putInt(request.argv().size());
		for (int i = 0; i < request.argv().size(); i++) {
			putString(buffer, strings.get(next++));
		}
		buffer.putInt(request.environment().size());
		for (int i = 0; i < request.environment().size(); i++) {
			putString(buffer, strings.get(next++));
		}
		return buffer.array();
	}

	private static int sized(List<byte[]> strings, String value) {
		byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
		strings.add(bytes);
		return 4 + bytes.length;
	}

	private static void putString(ByteBuffer buffer, byte[] bytes) {
		buffer.putInt(bytes.length).put(bytes);
	}

}
