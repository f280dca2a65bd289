package dev.jobexec.execution.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionProperties.Isolation;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.ResourceLimits;
import dev.jobexec.os.Cgroups;
import dev.jobexec.os.SpawnHelper;
import lombok.extern.slf4j.Slf4j;

/**
 * How process jobs are started and confined on this machine, decided once at start: the
 * spawn helper (one exec per job) or, without it, {@code posix_spawn} behind
 * {@code prlimit}; a cgroup per job where the machine and each pool's {@code isolation}
 * allow. Leftover job cgroups of a dead run are killed and removed at start; this run's
 * directories at a graceful stop.
 */
@Slf4j
public final class JobIsolation implements AutoCloseable {

	private static final String HELPER_FILE = "libjobexec-spawn.so";

	private static final String HELPER_RESOURCE = "/native/" + HELPER_FILE;

	private final SpawnHelper helper;

	private final String helperProblem;

	private final Cgroups cgroups;

	private final Map<String, Boolean> poolCgroups = new ConcurrentHashMap<>();

	private final ProcessProperties properties;

	private final RunAs runAs;

	private JobIsolation(ProcessProperties properties, RunAs runAs, SpawnHelper helper, String helperProblem,
			Cgroups cgroups) {
		this.properties = properties;
		this.runAs = runAs;
		this.helper = helper;
		this.helperProblem = helperProblem;
		this.cgroups = cgroups;
	}

	/**
	 * Isolation with neither the spawn helper nor cgroups: what a service whose process
	 * pools never start a job needs (such as a validator's tests).
	 */
	public static JobIsolation unconfined(ProcessProperties properties) {
		return new JobIsolation(properties, null, null, "not started", Cgroups.none("not looked for"));
	}

	/**
	 * Finds what this machine offers and prepares it for the pools in {@code execution}.
	 */
	static JobIsolation open(ProcessProperties properties, RunAs runAs, ExecutionProperties execution) {
		boolean anyCgroups = execution.pools()
			.values()
			.stream()
			.anyMatch((pool) -> pool.type() == PoolType.PROCESS && pool.isolation() != Isolation.OFF);
		// Cgroups first: on a delegated v2 hierarchy the service moves every process of
		// its cgroup into a leaf before any job starts.
		Cgroups cgroups = Cgroups.none("isolation is off for every process pool");
		if (anyCgroups) {
			cgroups = Cgroups.open();
		}
		SpawnHelper helper = null;
		String problem = null;
		try {
			Path binary = (properties.spawnHelper() != null) ? properties.spawnHelper()
					: extractHelper(execution.dataDir().resolve("bin"));
			helper = SpawnHelper.start(binary);
		}
		catch (IOException | RuntimeException ex) {
			problem = ex.getMessage();
			log.warn("The spawn helper is unavailable, so process jobs start through posix_spawn and prlimit (two "
					+ "execs per job) and without a cgroup each: {}", problem);
		}
		if (helper == null) {
			if (cgroups.usable()) {
				cgroups.close();
			}
			cgroups = Cgroups.none("the spawn helper is unavailable: " + problem);
		}
		else if (cgroups.usable()) {
			int removed = cgroups.removeDeadRuns();
			if (removed > 0) {
				log.warn("Killed and removed {} job cgroups left by a run of the service that is gone", removed);
			}
		}
		log.info("Process jobs: {}; {}", (helper != null) ? "spawn helper (one exec per job)" : "posix_spawn + prlimit",
				cgroups.description());
		return new JobIsolation(properties, runAs, helper, problem, cgroups);
	}

	/**
	 * Copies the helper out of the jar into {@code directory} (unless an identical copy
	 * is there) and returns its path.
	 */
	static Path extractHelper(Path directory) throws IOException {
		byte[] binary;
		try (InputStream in = JobIsolation.class.getResourceAsStream(HELPER_RESOURCE)) {
			if (in == null) {
				throw new IOException("this build has no spawn helper (" + HELPER_RESOURCE
						+ " is missing: the C compiler was not run)");
			}
			binary = in.readAllBytes();
		}
		Files.createDirectories(directory);
		Path target = directory.resolve(HELPER_FILE);
		if (Files.isRegularFile(target) && Files.isExecutable(target)
				&& Arrays.equals(Files.readAllBytes(target), binary)) {
			return target;
		}
		Path temporary = Files.createTempFile(directory, HELPER_FILE, ".tmp",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
		try {
			Files.write(temporary, binary);
			Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		finally {
			Files.deleteIfExists(temporary);
		}
		return target;
	}

	/**
	 * Decides for one pool, at its creation: whether its jobs get a cgroup each.
	 * @throws IllegalStateException when the pool requires cgroups or limits that this
	 * machine cannot give it
	 */
	boolean admitPool(String name, ExecutionProperties.Pool pool) {
		String prefix = "jobexec.pools." + name + ".";
		boolean use = pool.isolation() != Isolation.OFF && cgroups.usable();
		if (pool.isolation() == Isolation.REQUIRED && !use) {
			throw new IllegalStateException(prefix + "isolation is 'required', but jobs cannot get a cgroup each here: "
					+ cgroups.description());
		}
		ResourceLimits limits = pool.resourceLimits();
		if (!limits.isEmpty()) {
			String refusal = refusal(limits, use);
			if (refusal != null) {
				throw new IllegalStateException(prefix + "limits cannot be enforced: " + refusal);
			}
		}
		if (pool.isolation() == Isolation.PREFERRED && !use) {
			log.info("Process pool '{}' runs its jobs without a cgroup each: {}", name, cgroups.description());
		}
		poolCgroups.put(name, use);
		return use;
	}

	/**
	 * Why {@code limits} cannot be enforced for jobs of {@code pool}, or null when they
	 * can.
	 */
	public String refusal(String pool, ResourceLimits limits) {
		return refusal(limits, poolCgroups.getOrDefault(pool, false));
	}

	private String refusal(ResourceLimits limits, boolean withCgroup) {
		if (limits.isEmpty()) {
			return null;
		}
		if (!withCgroup) {
			return "limits need a cgroup per job, which this pool does not have here ("
					+ (cgroups.usable() ? "its isolation is off" : cgroups.description()) + ")";
		}
		List<String> missing = new ArrayList<>();
		if (limits.memory() != null && !cgroups.limitControllers().contains("memory")) {
			missing.add("memory");
		}
		if (limits.processes() != null && !cgroups.limitControllers().contains("pids")) {
			missing.add("pids");
		}
		if (limits.cpu() != null && !cgroups.limitControllers().contains("cpu")) {
			missing.add("cpu");
		}
		return missing.isEmpty() ? null
				: "this machine gives the service no " + String.join(", ", missing) + " controller";
	}

	/** The user jobs run as, or null for the service's own. */
	RunAs runAs() {
		return runAs;
	}

	/** The spawn helper, or null when jobs start through posix_spawn. */
	SpawnHelper helper() {
		return helper;
	}

	/** The job cgroups, when {@code pool}'s jobs get one each; null otherwise. */
	Cgroups cgroupsFor(String pool) {
		return poolCgroups.getOrDefault(pool, false) ? cgroups : null;
	}

	/** What was found and decided, for the jobpools endpoint, health and the log. */
	public ProcessIsolation snapshot() {
		Map<String, String> pools = new TreeMap<>();
		poolCgroups.forEach((pool, use) -> pools.put(pool, use ? "cgroup per job" : "no cgroup"));
		return new ProcessIsolation(properties.limits().prlimitOptions(),
				(runAs != null) ? "uid " + runAs.uid() + " gid " + runAs.gid() : "the service's own user",
				(helper != null) ? "spawn helper: session, cgroups, rlimits and user applied before one execve"
						: "posix_spawn, then prlimit and setpriv execs (" + helperProblem + ")",
				cgroups.layout().name().toLowerCase(Locale.ROOT), cgroups.description(),
				List.copyOf(new TreeSet<>(cgroups.limitControllers())), pools);
	}

	@Override
	public void close() {
		if (helper != null) {
			helper.close();
		}
		if (cgroups.usable()) {
			cgroups.close();
		}
	}

}
