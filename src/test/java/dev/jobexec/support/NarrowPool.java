package dev.jobexec.support;

import java.util.ArrayList;
import java.util.List;

/**
 * The pool named {@code narrow} that tests fill on purpose: a process pool that runs one
 * job at a time, so that the next ones wait in its queue behind a blocker. How many may
 * wait is each test's own: the shared context of {@link JobexecHttpTest} needs the queue
 * full after one, a {@link ServiceProcess} test room for the jobs it queues.
 */
public final class NarrowPool {

	/** The pool as Spring Boot properties (constants, for an annotation). */
	public static final String TYPE = "jobexec.pools.narrow.type=process";

	public static final String ONE_AT_A_TIME = "jobexec.pools.narrow.max-concurrency=1";

	/** Followed by the capacity. */
	public static final String QUEUE_CAPACITY = "jobexec.pools.narrow.queue-capacity=";

	private NarrowPool() {
	}

	/**
	 * The pool with room for {@code queueCapacity} waiting jobs, as arguments of a
	 * {@link ServiceProcess}, followed by {@code more} arguments.
	 */
	public static String[] args(int queueCapacity, String... more) {
		List<String> args = new ArrayList<>(
				List.of("--" + TYPE, "--" + ONE_AT_A_TIME, "--" + QUEUE_CAPACITY + queueCapacity));
		args.addAll(List.of(more));
		return args.toArray(String[]::new);
	}

}
