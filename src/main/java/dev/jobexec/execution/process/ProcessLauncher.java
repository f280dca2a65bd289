package dev.jobexec.execution.process;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Spawns every job process from one long-lived platform thread. A parent-death signal is tied to
 * the thread that spawned the child, so children spawned from short-lived pool or virtual threads
 * would be killed when those threads end.
 */
@Component
class ProcessLauncher implements DisposableBean {

	private static final long SPAWN_DEADLINE_SECONDS = 30;

	private final ThreadPoolExecutor thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
			new ArrayBlockingQueue<>(4096), Thread.ofPlatform().name("jobexec-launcher").daemon(true).factory());

	Process spawn(ProcessBuilder builder) throws IOException {
		Future<Process> spawned = thread.submit(builder::start);
		try {
			return spawned.get(SPAWN_DEADLINE_SECONDS, TimeUnit.SECONDS);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof IOException io) {
				throw io;
			}
			throw new IOException("could not start the process", ex.getCause());
		}
		catch (TimeoutException ex) {
			spawned.cancel(true);
			throw new IOException("the process did not start within " + SPAWN_DEADLINE_SECONDS + "s");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted while starting the process", ex);
		}
	}

	@Override
	public void destroy() {
		thread.shutdownNow();
	}

}
