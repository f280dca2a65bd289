package dev.jobexec.execution.process;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import dev.jobexec.os.Poller;
import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.Spawner;

/**
 * The service's ends of one job's pipes and its leader's pidfd, polled together by the
 * job's watcher thread: output is read into the captures and stdin is fed as the pipes
 * allow, while the watcher waits for the leader, then for the group, then for the end of
 * the output. Only the watcher thread uses it; {@link #close} closes every descriptor
 * still open.
 */
final class JobPipes implements AutoCloseable {

	private static final int READ_BUFFER = 64 * 1024;

	/**
	 * A bound on each wait for the leader, so that a lost wake-up costs at most this
	 * much.
	 */
	private static final int LEADER_POLL_MILLIS = 1000;

	/**
	 * How often a group that outlives its leader is checked while its output is still
	 * read.
	 */
	private static final int GROUP_POLL_MILLIS = 10;

	private final OutputCapture stdout;

	private final OutputCapture stderr;

	private final byte[] input;

	/**
	 * The poll set and read buffer of each watcher thread, kept from one job to the next:
	 * made for each job, they cost 128 KiB of allocation and zeroing a job, more than a
	 * fast job's watcher allocates for everything else.
	 */
	private static final ThreadLocal<Poller> POLLERS = ThreadLocal.withInitial(() -> Poller.kept(4, READ_BUFFER));

	private static final ThreadLocal<byte[]> READ_BUFFERS = ThreadLocal.withInitial(() -> new byte[READ_BUFFER]);

	/** The watcher thread's, taken on first use. */
	private Poller poller;

	private byte[] bytes;

	/** -1 once closed. */
	private int stdinFd;

	private int stdoutFd;

	private int stderrFd;

	private int pidFd;

	private int inputWritten;

	JobPipes(Spawner.Spawned spawned, int pidFd, byte[] input, OutputCapture stdout, OutputCapture stderr) {
		this.stdinFd = spawned.stdin();
		this.stdoutFd = spawned.stdout();
		this.stderrFd = spawned.stderr();
		this.pidFd = pidFd;
		this.input = input;
		this.stdout = stdout;
		this.stderr = stderr;
	}

	/**
	 * Reads output and feeds stdin until the leader {@code pid} has ended; returns its
	 * raw wait status and usage.
	 */
	ProcessControl.Reaped awaitLeader(int pid) {
		return awaitLeader(pid, Long.MAX_VALUE);
	}

	/**
	 * {@link #awaitLeader(int)} until the deadline ({@link System#nanoTime}); null when
	 * the leader still runs then.
	 */
	ProcessControl.Reaped awaitLeader(int pid, long deadlineNanos) {
		boolean bounded = deadlineNanos != Long.MAX_VALUE;
		while (true) {
			int timeout = LEADER_POLL_MILLIS;
			if (bounded) {
				long left = deadlineNanos - System.nanoTime();
				if (left <= 0) {
					return null;
				}
				// At least a millisecond: poll(2) counts in them, and 0 would spin.
				timeout = (int) Math.clamp(TimeUnit.NANOSECONDS.toMillis(left) + 1, 1, LEADER_POLL_MILLIS);
			}
			poll(timeout, true);
			// The pidfd is readable once the leader has ended; a timed-out poll checks as
			// well.
			ProcessControl.Reaped reaped = ProcessControl.reapWithUsage(pid);
			if (reaped != null) {
				pidFd = close(pidFd);
				stdinFd = close(stdinFd);
				return reaped;
			}
		}
	}

	/**
	 * Reads output until {@code groupAlive} turns false or the deadline passes; returns
	 * whether it did.
	 */
	boolean awaitGroupGone(long deadlineNanos, BooleanSupplier groupAlive) {
		while (groupAlive.getAsBoolean()) {
			if (System.nanoTime() >= deadlineNanos) {
				return false;
			}
			poll(GROUP_POLL_MILLIS, false);
		}
		return true;
	}

	/**
	 * Reads output until both pipes are at end of stream or the deadline passes (what is
	 * ready by then is still read).
	 */
	boolean drain(long deadlineNanos) {
		while (stdoutFd >= 0 || stderrFd >= 0) {
			long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
			poll((int) Math.clamp(left, 0, LEADER_POLL_MILLIS), false);
			if (left <= 0) {
				return stdoutFd < 0 && stderrFd < 0;
			}
		}
		return true;
	}

	@Override
	public void close() {
		stdinFd = close(stdinFd);
		stdoutFd = close(stdoutFd);
		stderrFd = close(stderrFd);
		pidFd = close(pidFd);
	}

	/** One poll of the open pipes (and the pidfd); handles whatever is ready. */
	private void poll(int timeoutMillis, boolean leader) {
		if (poller == null) {
			poller = POLLERS.get();
			bytes = READ_BUFFERS.get();
		}
		poller.clear();
		poller.add(stdoutFd, Poller.POLLIN);
		poller.add(stderrFd, Poller.POLLIN);
		poller.add(stdinFd, Poller.POLLOUT);
		if (leader) {
			poller.add(pidFd, Poller.POLLIN);
		}
		if (poller.size() == 0) {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
			return;
		}
		if (poller.poll(timeoutMillis) == 0) {
			return;
		}
		for (int i = 0; i < poller.size(); i++) {
			int fd = poller.fd(i);
			short ready = poller.ready(i);
			if (ready == 0) {
				continue;
			}
			if (fd == stdoutFd) {
				stdoutFd = read(fd, stdout);
			}
			else if (fd == stderrFd) {
				stderrFd = read(fd, stderr);
			}
			else if (fd == stdinFd) {
				stdinFd = feed(fd, ready);
			}
		}
	}

	/**
	 * Reads what is there into {@code capture}; returns the fd, or -1 once it is closed
	 * at end of stream.
	 */
	private int read(int fd, OutputCapture capture) {
		int read = poller.read(fd, bytes);
		if (read > 0) {
			capture.write(bytes, 0, read);
			return fd;
		}
		if (read == -Poller.EINTR || read == -Poller.EAGAIN) {
			return fd;
		}
		return close(fd);
	}

	/**
	 * Writes the next part of stdin; returns the fd, or -1 once all is written or the job
	 * closed it.
	 */
	private int feed(int fd, short ready) {
		if ((ready & Poller.POLLOUT) == 0) {
			return close(fd);
		}
		if (inputWritten < input.length) {
			int written = poller.write(fd, input, inputWritten);
			if (written > 0) {
				inputWritten += written;
			}
			else if (written != -Poller.EAGAIN && written != -Poller.EINTR) {
				// EPIPE: the job closed its stdin or ended before reading all of it.
				return close(fd);
			}
		}
		return (inputWritten >= input.length) ? close(fd) : fd;
	}

	/** Closes {@code fd} if it is open; returns -1, the value of a closed descriptor. */
	private static int close(int fd) {
		Poller.close(fd);
		return -1;
	}

}
