package dev.jobexec.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import lombok.extern.slf4j.Slf4j;

/**
 * The cgroup of one job: a directory in the cgroup v2 hierarchy (when there is one) and
 * in each v1 hierarchy used. Made with its limits before the job starts; the spawn helper
 * puts the job's first process in it; read for the job's usage and its memory kills;
 * killed as a whole; removed when the job has ended, or, as a slot, kept for a later job
 * (see {@link Cgroups}).
 */
@Slf4j
public final class JobCgroup {

	/** The CFS period a CPU limit is expressed in (100 ms, the kernel's default). */
	private static final long CPU_PERIOD_MICROS = 100_000;

	private final String name;

	private final Path v2;

	private final Map<String, Path> v1;

	/**
	 * The run's cgroups, which keep this slot for a later job; null when the directories
	 * are not a slot (or are a leftover), and are removed at the end.
	 */
	private final Cgroups owner;

	/** Whether the directories were an idle slot's rather than made for this job. */
	private final boolean reused;

	private final boolean memsw;

	private Long memoryLimit;

	private boolean cpuLimited;

	/** Memory kills counted in a reused memory cgroup before this job. */
	private long memoryKillsBefore;

	/** A reused v2 directory's {@code cpu.stat} before this job, or null. */
	private Map<String, Long> cpuBefore;

	private boolean processesLimited;

	/** Whether it was killed (a v1 freezer was then frozen and thawed). */
	private boolean killed;

	/**
	 * Whether its directories were to be removed once: a later attempt keeps the slot
	 * only if every directory is still there.
	 */
	private boolean removing;

	/** Its files, kept open with its slot. */
	private final HeldFiles files;

	/** Every directory of this cgroup, v2 first. */
	private final List<Path> directories;

	/**
	 * Whether the directories are gone or kept as an idle slot: from then on, nothing of
	 * this job is in them, and this object neither reads nor signals them (a later job
	 * may have them).
	 */
	private boolean removed;

	JobCgroup(String name, Path v2, Map<String, Path> v1) {
		this(name, v2, v1, null, false, false, new HeldFiles());
	}

	JobCgroup(String name, Path v2, Map<String, Path> v1, Cgroups owner, boolean reused, boolean memsw,
			HeldFiles files) {
		this.files = files;
		this.name = name;
		this.v2 = v2;
		this.v1 = new LinkedHashMap<>(v1);
		this.owner = owner;
		this.reused = reused;
		this.memsw = memsw;
		List<Path> all = new ArrayList<>();
		if (v2 != null) {
			all.add(v2);
		}
		// A co-mounted hierarchy (cpu,cpuacct) gives two controllers one directory.
		this.v1.values().stream().distinct().forEach(all::add);
		this.directories = List.copyOf(all);
	}

	/**
	 * A job cgroup found on disk (a dead run's): only its v2 or v1 directory is known.
	 */
	static JobCgroup adopt(Path directory) {
		boolean v2 = Files.exists(directory.resolve("cgroup.controllers"));
		if (v2) {
			return new JobCgroup(directory.getFileName().toString(), directory, Map.of());
		}
		// Only the freezer matters to a leftover: it is what kills without cgroup.kill.
		String controller = Files.exists(directory.resolve("freezer.state")) ? "freezer" : "v1";
		return new JobCgroup(directory.getFileName().toString(), null, Map.of(controller, directory));
	}

	/** The name of its directories: the job's, or its slot's. */
	public String name() {
		return name;
	}

	/** The memory limit it was made with, in bytes, or null. */
	public Long memoryLimit() {
		return memoryLimit;
	}

	/** The v2 directory the job's first process joins before its exec, or null. */
	public Path v2Directory() {
		return v2;
	}

	/**
	 * The v1 {@code cgroup.procs} files the job's first process joins before it execs.
	 */
	public List<Path> v1Procs() {
		return v1.values().stream().distinct().map((directory) -> directory.resolve("cgroup.procs")).toList();
	}

	/** Its v1 directory of {@code controller}, or null. */
	Path v1Directory(String controller) {
		return v1.get(controller);
	}

	/** Every directory of this cgroup, v2 first. */
	public List<Path> directories() {
		return directories;
	}

	void make(Long memoryBytes, Integer processes, Double cpus) throws IOException {
		if (!reused) {
			for (Path directory : directories()) {
				Files.createDirectory(directory);
			}
		}
		Path v1Memory = v1.get("memory");
		if (reused && v1Memory != null) {
			// The peak restarts from what is charged now; the kill count is taken as a
			// difference.
			write(v1Memory.resolve("memory.max_usage_in_bytes"), "0");
			if (memoryBytes != null) {
				write(v1Memory.resolve("memory.failcnt"), "0");
				memoryKillsBefore = memoryKills();
			}
		}
		if (reused && v2 != null) {
			// CPU time is read from v2 (cpu.stat, which cannot be reset): as a
			// difference.
			cpuBefore = keyed(v2.resolve("cpu.stat"));
		}
		Path cpuacct = v1.get("cpuacct");
		if (reused && cpuacct != null && v2 == null) {
			write(cpuacct.resolve("cpuacct.usage"), "0");
		}
		if (memoryBytes != null) {
			memoryLimit = memoryBytes;
			Path memory = controllerDirectory("memory");
			if (v1Memory != null) {
				write(memory.resolve("memory.limit_in_bytes"), memoryBytes.toString());
				if (memsw) {
					// No swap beyond the limit: at the limit, the job is killed, not
					// paged out.
					write(memory.resolve("memory.memsw.limit_in_bytes"), memoryBytes.toString());
				}
			}
			else {
				write(memory.resolve("memory.max"), memoryBytes.toString());
				if (Files.exists(memory.resolve("memory.swap.max"))) {
					write(memory.resolve("memory.swap.max"), "0");
				}
			}
		}
		if (processes != null) {
			processesLimited = true;
			write(controllerDirectory("pids").resolve("pids.max"), processes.toString());
		}
		if (cpus != null) {
			cpuLimited = true;
			long quota = Math.max(1_000, Math.round(cpus * CPU_PERIOD_MICROS));
			Path cpu = controllerDirectory("cpu");
			if (v1.containsKey("cpu")) {
				write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
				write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quota));
			}
			else {
				write(cpu.resolve("cpu.max"), quota + " " + CPU_PERIOD_MICROS);
			}
		}
	}

	/**
	 * Where {@code controller}'s files of this job are: its v1 directory, else the v2
	 * one.
	 */
	private Path controllerDirectory(String controller) {
		Path directory = v1.getOrDefault(controller, v2);
		if (directory == null) {
			throw new IllegalStateException("no " + controller + " controller for job cgroup " + name);
		}
		return directory;
	}

	/** Whether any process is still in the cgroup. */
	public synchronized boolean populated() {
		if (removed) {
			return false;
		}
		if (v2 != null) {
			return read(v2.resolve("cgroup.events")).map((events) -> events.contains("populated 1")).orElse(false);
		}
		return !members().isEmpty();
	}

	/** The processes in the cgroup now. */
	public synchronized Set<Long> members() {
		Set<Long> members = new LinkedHashSet<>();
		if (removed) {
			return members;
		}
		for (Path directory : directories()) {
			for (String word : words(directory.resolve("cgroup.procs"))) {
				// 0 is a process the kernel lists while it exits and has no pid any
				// more (seen for a job's exiting child): nothing to signal.
				long pid = word.isEmpty() ? 0 : Long.parseLong(word);
				if (pid > 1) {
					members.add(pid);
				}
			}
			if (directory.equals(v2)) {
				break;
			}
		}
		return members;
	}

	/**
	 * Sends {@code signal} to every process in the cgroup; returns how many it reached.
	 */
	public synchronized int signal(int signal) {
		int reached = 0;
		for (long pid : members()) {
			reached += ProcessControl.signalProcess(pid, signal) ? 1 : 0;
		}
		return reached;
	}

	/**
	 * SIGKILL to every process in the cgroup, none able to fork away meanwhile:
	 * {@code cgroup.kill} (v2), or freeze, kill every member, thaw (v1).
	 */
	public synchronized void kill() {
		if (removed) {
			return;
		}
		killed = true;
		if (v2 != null && Files.exists(v2.resolve("cgroup.kill"))) {
			try {
				write(v2.resolve("cgroup.kill"), "1");
				return;
			}
			catch (IOException ex) {
				log.debug("cgroup.kill of {} failed: {}", v2, ex.getMessage());
			}
		}
		if (v2 != null && Files.exists(v2.resolve("cgroup.freeze"))) {
			// Before cgroup.kill (Linux 5.14): frozen, nothing forks away while it is
			// killed.
			try {
				write(v2.resolve("cgroup.freeze"), "1");
				signal(ProcessControl.SIGKILL);
				write(v2.resolve("cgroup.freeze"), "0");
				return;
			}
			catch (IOException ex) {
				log.debug("Freezing {} failed: {}", v2, ex.getMessage());
			}
		}
		Path freezer = v1.get("freezer");
		if (freezer != null) {
			try {
				write(freezer.resolve("freezer.state"), "FROZEN");
				long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
				while (!read(freezer.resolve("freezer.state")).orElse("").startsWith("FROZEN")
						&& System.nanoTime() < deadline) {
					Thread.onSpinWait();
				}
				signal(ProcessControl.SIGKILL);
				write(freezer.resolve("freezer.state"), "THAWED");
				return;
			}
			catch (IOException ex) {
				log.debug("Freezing {} failed: {}", freezer, ex.getMessage());
			}
		}
		// Neither: kill what is there, again until nothing is left or it stops changing.
		for (int round = 0; round < 10 && signal(ProcessControl.SIGKILL) > 0; round++) {
			Thread.onSpinWait();
		}
	}

	/** Waits up to {@code millis} for the cgroup to empty; returns whether it did. */
	public boolean awaitEmpty(long millis) {
		long deadline = System.nanoTime() + millis * 1_000_000;
		while (populated()) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return !populated();
			}
		}
		return true;
	}

	/**
	 * Whether the kernel killed a process of this job because the job reached its own
	 * memory limit: it has one, it was reached ({@code memory.events} {@code max}, or v1
	 * {@code memory.failcnt} or a peak at the limit), and a process was killed for
	 * memory. An OOM kill by the host or an enclosing cgroup, without the job at its
	 * limit, is not one.
	 */
	public synchronized boolean killedAtMemoryLimit() {
		if (removed || memoryLimit == null || memoryKills() == 0) {
			return false;
		}
		Path v1Memory = v1.get("memory");
		if (v1Memory != null) {
			// v1 counts a failed charge in failcnt, but not always (not with memsw set to
			// the same limit): a peak within 5 % of the limit says it was reached too.
			Long failures = number(v1Memory.resolve("memory.failcnt"));
			Long peak = number(v1Memory.resolve("memory.max_usage_in_bytes"));
			return (failures != null && failures > 0) || (peak != null && peak >= memoryLimit - memoryLimit / 20);
		}
		return keyed(v2.resolve("memory.events")).getOrDefault("max", 0L) > 0;
	}

	/** How many times the kernel killed a process of this job for memory. */
	public synchronized long memoryKills() {
		if (removed) {
			return 0;
		}
		Path v1Memory = v1.get("memory");
		if (v1Memory != null) {
			return keyed(v1Memory.resolve("memory.oom_control")).getOrDefault("oom_kill", 0L) - memoryKillsBefore;
		}
		if (v2 != null) {
			return keyed(v2.resolve("memory.events")).getOrDefault("oom_kill", 0L);
		}
		return 0;
	}

	/**
	 * What the job used, from the cgroup's own counters; null fields were not counted.
	 */
	public record Usage(Duration cpuUser, Duration cpuSystem, Long peakMemory, Long processes) {
	}

	public synchronized Usage usage() {
		if (removed) {
			return new Usage(null, null, null, null);
		}
		Duration user = null;
		Duration system = null;
		if (v2 != null) {
			Map<String, Long> cpu = keyed(v2.resolve("cpu.stat"));
			if (cpu.containsKey("user_usec")) {
				Map<String, Long> before = (cpuBefore != null) ? cpuBefore : Map.of();
				user = Duration.ofNanos((cpu.get("user_usec") - before.getOrDefault("user_usec", 0L)) * 1_000);
				system = Duration
					.ofNanos((cpu.getOrDefault("system_usec", 0L) - before.getOrDefault("system_usec", 0L)) * 1_000);
			}
		}
		Path cpuacct = v1.get("cpuacct");
		if (user == null && cpuacct != null) {
			Long userNanos = number(cpuacct.resolve("cpuacct.usage_user"));
			Long systemNanos = number(cpuacct.resolve("cpuacct.usage_sys"));
			user = (userNanos != null) ? Duration.ofNanos(userNanos) : null;
			system = (systemNanos != null) ? Duration.ofNanos(systemNanos) : null;
		}
		Long peak = null;
		Path v1Memory = v1.get("memory");
		if (v1Memory != null) {
			peak = number(v1Memory.resolve("memory.max_usage_in_bytes"));
		}
		else if (v2 != null) {
			peak = number(v2.resolve("memory.peak"));
		}
		Path pids = v1.getOrDefault("pids", v2);
		Long processes = (pids != null) ? number(pids.resolve("pids.peak")) : null;
		return new Usage(user, system, peak, processes);
	}

	/**
	 * Readies the slot for a later job: its limits undone, and a new {@code pids}
	 * directory when this job's peak went above 1 (see {@link Cgroups}). Returns false
	 * when the slot is not to be kept: a process is left in it (in its v2 directory,
	 * where there is one; a process in one v1 directory only is found when the slot is
	 * next taken), the job left more than {@link Cgroups#REUSABLE_RESIDUE} charged to it,
	 * its freezer did not thaw, or a step failed.
	 */
	private boolean resetForReuse() {
		// The job's processes are in every hierarchy, so v2's cgroup.events tells (a
		// process that joined one v1 hierarchy only is found when the slot is next
		// taken).
		List<Path> where = (v2 != null) ? List.of(v2) : directories();
		if (!where.stream().allMatch((directory) -> Cgroups.holdsNoProcess(directory, v2, v1.get("pids"), files))) {
			return false;
		}
		Path memory = v1.get("memory");
		Path cpu = v1.get("cpu");
		Path freezer = v1.get("freezer");
		try {
			if (memory != null) {
				// With swap accounted, what was swapped out (a tmpfs file's pages) counts
				// too.
				Long charged = number(memory.resolve(memsw ? "memory.memsw.usage_in_bytes" : "memory.usage_in_bytes"));
				if (charged == null || charged > Cgroups.REUSABLE_RESIDUE) {
					return false;
				}
				if (memoryLimit != null) {
					// Swap plus memory is never below memory: that limit goes first.
					if (memsw) {
						write(memory.resolve("memory.memsw.limit_in_bytes"), "-1");
					}
					write(memory.resolve("memory.limit_in_bytes"), "-1");
				}
			}
			if (killed && freezer != null && !read(freezer.resolve("freezer.state")).orElse("").startsWith("THAWED")) {
				return false;
			}
			if (killed && v2 != null && read(v2.resolve("cgroup.events")).orElse("").contains("frozen 1")) {
				// Killed by freezing (no cgroup.kill), and the thaw failed.
				return false;
			}
			if (cpuLimited) {
				if (cpu != null) {
					write(cpu.resolve("cpu.cfs_quota_us"), "-1");
				}
				else {
					write(controllerDirectory("cpu").resolve("cpu.max"), "max");
				}
			}
			Path pids = v1.getOrDefault("pids", v2);
			Long peak = (pids != null) ? number(pids.resolve("pids.peak")) : null;
			if (peak != null && peak > 1) {
				// Fails while a process is left in it: the slot is then removed.
				files.forget(pids);
				Files.delete(pids);
				Files.createDirectory(pids);
			}
			else if (processesLimited) {
				write(pids.resolve("pids.max"), "max");
			}
			return true;
		}
		catch (IOException ex) {
			log.debug("Could not ready the job cgroup {} for a later job: {}", name, ex.getMessage());
			return false;
		}
	}

	/**
	 * Removes the cgroup's directories, or keeps them as an idle slot; returns whether
	 * all are gone (a directory that still holds a process, such as an unreaped zombie,
	 * stays).
	 */
	public boolean remove() {
		return remove(true);
	}

	/**
	 * Gives up on the directories that could not be removed: its open files are closed
	 * (the next start of the service removes what is left).
	 */
	public synchronized void abandon() {
		files.close();
	}

	/** Removes every directory of the cgroup, none kept for a later job. */
	public boolean discard() {
		return remove(false);
	}

	private synchronized boolean remove(boolean keep) {
		if (removed) {
			return true;
		}
		// After a removal that failed, kept only if none of its directories went.
		boolean whole = !removing || directories().stream().allMatch(Files::isDirectory);
		if (keep && whole && owner != null && resetForReuse() && owner.keep(new Cgroups.Slot(name, files))) {
			removed = true;
			return true;
		}
		removing = true;
		boolean all = true;
		for (Path directory : directories()) {
			try {
				files.forget(directory);
				Files.deleteIfExists(directory);
			}
			catch (IOException ex) {
				all = false;
				log.debug("Could not remove job cgroup {}: {}", directory, ex.getMessage());
			}
		}
		if (all) {
			files.close();
		}
		removed = all;
		return all;
	}

	// ---- its files, through the descriptors its slot keeps open

	private Optional<String> read(Path file) {
		return files.read(file);
	}

	private void write(Path file, String value) throws IOException {
		files.write(file, value);
	}

	private Long number(Path file) {
		return Cgroups.number(read(file));
	}

	private Map<String, Long> keyed(Path file) {
		return Cgroups.keyed(read(file));
	}

	private List<String> words(Path file) {
		return Cgroups.words(read(file));
	}

}
