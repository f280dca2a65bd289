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
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import lombok.extern.slf4j.Slf4j;

import static dev.jobexec.os.Libc.ADDRESS;
import static dev.jobexec.os.Libc.CAPTURE_ERRNO;
import static dev.jobexec.os.Libc.INT;
import static dev.jobexec.os.Libc.LONG;

/**
 * The service's side of {@code jobexec-spawn}, the spawn helper (src/main/c): one small
 * single-threaded child of the service that starts every process job with one
 * {@code clone3} and one {@code execve}. The child is the service's own child
 * ({@code CLONE_PARENT}), in the job's cgroups before its first instruction, in a new
 * session, with its rlimits and user applied; the helper hands back a pidfd for it.
 * Requests go one at a time over a Unix stream socket, the job's pipes passed as
 * {@code SCM_RIGHTS}.
 */
@Slf4j
public final class SpawnHelper implements AutoCloseable {

	private static final int AF_UNIX = 1;

	private static final int SOCK_STREAM = 1;

	private static final int SOCK_CLOEXEC = 0x80000;

	private static final int SOL_SOCKET = 1;

	private static final int SCM_RIGHTS = 1;

	private static final int MSG_NOSIGNAL = 0x4000;

	private static final int MSG_WAITALL = 0x100;

	private static final int MSG_CMSG_CLOEXEC = 0x40000000;

	/**
	 * struct msghdr on 64-bit Linux: name, namelen, iov, iovlen, control, controllen,
	 * flags.
	 */
	private static final long MSGHDR_SIZE = 56;

	private static final long CMSG_HEADER = 16;

	private static final int REPLY_SIZE = 12;

	/** Resource numbers of setrlimit(2) (x86_64 and aarch64 agree on these). */
	public static final int RLIMIT_CPU = 0;

	public static final int RLIMIT_CORE = 4;

	public static final int RLIMIT_NPROC = 6;

	public static final int RLIMIT_NOFILE = 7;

	public static final int RLIMIT_AS = 9;

	/** What the helper's failure steps mean, by number (see jobexec-spawn.c). */
	private static final String[] STEPS = { "none", "the request", "opening the job's cgroup", "pipe2", "clone3",
			"joining the job's cgroups", "setsid", "dup2", "setrlimit", "dropping to the run-as user",
			"changing to the working directory", "close_range", "execve" };

	private static final int STEP_CHDIR = 10;

	private static final int STEP_EXEC = 12;

	private static final MethodHandle SOCKETPAIR = Libc.find("socketpair",
			FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS), CAPTURE_ERRNO);

	private static final MethodHandle SENDMSG = Libc.find("sendmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT),
			CAPTURE_ERRNO);

	private static final MethodHandle RECVMSG = Libc.find("recvmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT),
			CAPTURE_ERRNO);

	/**
	 * How long a job's process may take from its clone to its exec (the helper answers
	 * only then) before the start fails: a {@code chdir} or {@code execve} on a hung file
	 * system would otherwise hold up every start.
	 */
	static final Duration REPLY_DEADLINE = Duration.ofSeconds(30);

	private final Path binary;

	private final Duration replyDeadline;

	private final ReentrantLock lock = new ReentrantLock();

	/** Our end of the socket, -1 before the helper runs and after it failed. */
	private int socket = -1;

	private int helperPid;

	private SpawnHelper(Path binary, Duration replyDeadline) {
		this.binary = binary;
		this.replyDeadline = replyDeadline;
	}

	/**
	 * Starts the helper at {@code binary} and checks that it answers.
	 * @throws IOException with the reason when it cannot be started
	 */
	public static SpawnHelper start(Path binary) throws IOException {
		return start(binary, REPLY_DEADLINE);
	}

	/** The same, with another deadline for a reply (tests). */
	static SpawnHelper start(Path binary, Duration replyDeadline) throws IOException {
		SpawnHelper helper = new SpawnHelper(binary, replyDeadline);
		helper.lock.lock();
		try {
			helper.launch();
		}
		finally {
			helper.lock.unlock();
		}
		return helper;
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
	 * Starts one job through the helper, restarting the helper once if it has gone.
	 * @throws IOException with the reason when the job could not be started (a failed
	 * {@code chdir} or {@code execve} included)
	 */
	public Started spawn(Request request) throws IOException {
		byte[] body = encode(request);
		lock.lock();
		try {
			try {
				if (socket < 0) {
					launch();
				}
				return exchange(request, body);
			}
			catch (HelperGoneException ex) {
				log.warn("The spawn helper ({}) stopped answering ({}); starting it again", binary, ex.getMessage());
				shutDownHelper();
				if (ex.requestSent) {
					// It may have cloned the job's process already: a second start could
					// run it twice, so the start fails (and what is in its cgroup is
					// killed).
					killUnreported(request);
					launch();
					throw new IOException("the spawn helper failed while starting the job (" + ex.getMessage()
							+ "); it was not started again, as its process may have begun");
				}
				launch();
				return exchange(request, body);
			}
		}
		finally {
			lock.unlock();
		}
	}

	/**
	 * Kills whatever the helper that stopped may have started for {@code request}: what
	 * is in the job's cgroup v2 directory. Without one, a process it cloned is ended by
	 * the reaper once its job has ended (it carries the job's id).
	 */
	private static void killUnreported(Request request) {
		if (request.cgroupV2() == null
				|| Cgroups.words(request.cgroupV2().resolve("cgroup.procs")).stream().allMatch(String::isEmpty)) {
			return;
		}
		try {
			Cgroups.write(request.cgroupV2().resolve("cgroup.kill"), "1");
		}
		catch (IOException killFailed) {
			log.warn("Could not kill the unreported process in {}: {}", request.cgroupV2(), killFailed.getMessage());
		}
	}

	@Override
	public void close() {
		lock.lock();
		try {
			shutDownHelper();
		}
		finally {
			lock.unlock();
		}
	}

	/** The helper's pid, for logs and tests. */
	public int pid() {
		return helperPid;
	}

	private void launch() throws IOException {
		int[] pair = socketPair();
		try {
			helperPid = Spawner.spawnHelper(binary, pair[1]);
		}
		catch (IOException ex) {
			Poller.close(pair[0]);
			throw ex;
		}
		finally {
			Poller.close(pair[1]);
		}
		socket = pair[0];
	}

	/** Closes our end: the helper reads end of file and exits; its zombie is reaped. */
	private void shutDownHelper() {
		if (socket >= 0) {
			Poller.close(socket);
			socket = -1;
		}
		if (helperPid > 0) {
			int pid = helperPid;
			helperPid = 0;
			if (!awaitReaped(pid, Duration.ofSeconds(2))) {
				ProcessControl.signalProcess(pid, ProcessControl.SIGKILL);
				awaitReaped(pid, Duration.ofMinutes(1));
			}
		}
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

	private Started exchange(Request request, byte[] body) throws IOException {
		int[] in = request.pipeStdin() ? Spawner.pipe() : null;
		int[] out = null;
		int[] err = null;
		try {
			out = Spawner.pipe();
			err = Spawner.pipe();
			int stdinFd = (in != null) ? in[0] : Spawner.openDevNull();
			try {
				send(body, new int[] { stdinFd, out[1], err[1] });
			}
			finally {
				if (in == null) {
					Poller.close(stdinFd);
				}
			}
			Reply reply = receive();
			if (reply.step() != 0) {
				if (reply.pid() > 0) {
					// The child exits with 127 right after reporting; it is ours to reap.
					Poller.close(reply.pidFd());
					awaitReaped(reply.pid(), Duration.ofSeconds(5));
				}
				throw new IOException(describe(request, reply));
			}
			if (reply.pid() <= 0 || reply.pidFd() < 0) {
				throw new HelperGoneException("no pid or pidfd in the reply", true);
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

	private static String describe(Request request, Reply reply) {
		String reason = Libc.strerror(reply.errno());
		return switch (reply.step()) {
			case STEP_EXEC -> request.argv().getFirst() + ": " + reason;
			case STEP_CHDIR -> "cannot change to " + request.directory() + ": " + reason;
			default ->
				((reply.step() < STEPS.length) ? STEPS[reply.step()] : "step " + reply.step()) + " failed: " + reason;
		};
	}

	private record Reply(int pid, int step, int errno, int pidFd) {
	}

	private void send(byte[] body, int[] fds) throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment data = arena.allocate(4L + body.length);
			data.set(INT, 0, body.length);
			MemorySegment.copy(MemorySegment.ofArray(body), 0, data, 4, body.length);
			MemorySegment control = arena.allocate(CMSG_HEADER + 4L * fds.length + 8, 8);
			control.set(LONG, 0, CMSG_HEADER + 4L * fds.length);
			control.set(INT, 8, SOL_SOCKET);
			control.set(INT, 12, SCM_RIGHTS);
			for (int i = 0; i < fds.length; i++) {
				control.set(INT, CMSG_HEADER + 4L * i, fds[i]);
			}
			long controlLength = (CMSG_HEADER + 4L * fds.length + 7) & ~7L;
			MemorySegment state = Libc.callState(arena);
			long offset = 0;
			while (offset < data.byteSize()) {
				MemorySegment iov = arena.allocate(16, 8);
				iov.set(ADDRESS, 0, data.asSlice(offset));
				iov.set(LONG, 8, data.byteSize() - offset);
				MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
				message.set(ADDRESS, 16, iov);
				message.set(LONG, 24, 1L);
				if (offset == 0) {
					message.set(ADDRESS, 32, control);
					message.set(LONG, 40, controlLength);
				}
				long sent = Libc.call("sendmsg", IOException.class,
						() -> (long) SENDMSG.invokeExact(state, socket, message, MSG_NOSIGNAL));
				if (sent < 0) {
					int errno = Libc.errno(state);
					if (errno == Libc.EINTR) {
						continue;
					}
					throw new HelperGoneException("sendmsg: " + Libc.strerror(errno), false);
				}
				offset += sent;
			}
		}
	}

	private Reply receive() throws IOException {
		try (Poller poller = new Poller(1, 1)) {
			poller.add(socket, Poller.POLLIN);
			long deadline = System.nanoTime() + replyDeadline.toNanos();
			while (poller.poll((int) Math.max(1, Math.min(1_000, (deadline - System.nanoTime()) / 1_000_000))) == 0) {
				if (System.nanoTime() >= deadline) {
					throw new HelperGoneException("the job's process did not reach its exec within " + replyDeadline
							+ " (a hung chdir or execve?)", true);
				}
			}
		}
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment data = arena.allocate(REPLY_SIZE, 4);
			MemorySegment control = arena.allocate(CMSG_HEADER + 8, 8);
			MemorySegment iov = arena.allocate(16, 8);
			iov.set(ADDRESS, 0, data);
			iov.set(LONG, 8, REPLY_SIZE);
			MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
			MemorySegment state = Libc.callState(arena);
			long received;
			do {
				message.fill((byte) 0);
				message.set(ADDRESS, 16, iov);
				message.set(LONG, 24, 1L);
				message.set(ADDRESS, 32, control);
				message.set(LONG, 40, control.byteSize());
				received = Libc.call("recvmsg", IOException.class,
						() -> (long) RECVMSG.invokeExact(state, socket, message, MSG_WAITALL | MSG_CMSG_CLOEXEC));
			}
			while (received < 0 && Libc.errno(state) == Libc.EINTR);
			if (received != REPLY_SIZE) {
				throw new HelperGoneException((received < 0) ? "recvmsg: " + Libc.strerror(Libc.errno(state))
						: "the helper closed its socket", true);
			}
			int pidFd = -1;
			long controlLength = message.get(LONG, 40);
			if (controlLength >= CMSG_HEADER + 4 && control.get(INT, 8) == SOL_SOCKET
					&& control.get(INT, 12) == SCM_RIGHTS) {
				pidFd = control.get(INT, CMSG_HEADER);
			}
			return new Reply(data.get(INT, 0), data.get(INT, 4), data.get(INT, 8), pidFd);
		}
	}

	private static int[] socketPair() throws IOException {
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment fds = arena.allocate(INT, 2);
			MemorySegment state = Libc.callState(arena);
			int rc = Libc.call("socketpair", IOException.class, () -> (int) Libc.require(SOCKETPAIR, "socketpair")
				.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
			if (rc != 0) {
				throw new IOException("socketpair: " + Libc.strerror(Libc.errno(state)));
			}
			return new int[] { fds.getAtIndex(INT, 0), fds.getAtIndex(INT, 1) };
		}
	}

	/** The request as jobexec-spawn.c reads it. */
	static byte[] encode(Request request) {
		List<byte[]> strings = new ArrayList<>();
		int size = 4 * 4 + request.rlimits().size() * 20 + 4 * 3;
		size += sized(strings, (request.cgroupV2() != null) ? request.cgroupV2().toString() : "");
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
		buffer.putInt(1);
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

	/**
	 * The helper did not answer as it should: it is started again, and the request sent
	 * again if it had not reached the helper ({@code requestSent} false).
	 */
	private static final class HelperGoneException extends IOException {

		private final boolean requestSent;

		HelperGoneException(String message, boolean requestSent) {
			super(message);
			this.requestSent = requestSent;
		}

	}

}
