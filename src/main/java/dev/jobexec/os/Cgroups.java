package dev.jobexec.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import lombok.extern.slf4j.Slf4j;

/**
 * What this machine offers for a cgroup per job, found from {@code /proc/self/mountinfo}
 * and {@code /proc/self/cgroup}, and the service's own directory of job cgroups in each
 * hierarchy it uses: {@code <own cgroup>/jobexec/<run>/<slot or job>}, where
 * {@code <run>} names this run of the service ({@code pid-starttime-n-pidns}) so that a
 * later run can tell its leftovers from a live peer's. A run judges only runs of its own
 * PID namespace: a pid means nothing across namespaces, so another namespace's runs are
 * left alone (a container's own cgroup goes with the container).
 * <p>
 * A cgroup v2 hierarchy, where there is one, holds every job (membership,
 * {@code cgroup.kill}, {@code cpu.stat}) and whichever of {@code memory}, {@code pids}
 * and {@code cpu} it has; a controller only cgroup v1 has (the hybrid layout) is used
 * from its v1 hierarchy; without v2, the v1 {@code freezer} stops a job's processes
 * before they are killed.
 * <p>
 * Making and removing a job's cgroup directories is the dearest part of its cgroup: on
 * 2026-12-02 the memory and cpu ones cost the kernel 320 to 560 µs of the 690 to 840 µs
 * that a job's cgroups added to a fork and exec of {@code /bin/true}
 * (bench/cgroup-reuse.sh), and on 2026-12-03 making, renaming and removing them took 30 %
 * of the CPU of the threads that run process jobs. So where every counter a job's usage
 * is read from can be reset or taken as a difference, a job's directories are a
 * <em>slot</em> ({@code slot-<n>}, the same name in every hierarchy) made once and kept
 * for later jobs: when a job ends, its slot is readied for the next one (its limits
 * undone) unless the job left too much memory charged to it (more than
 * {@link #REUSABLE_RESIDUE}); a slot whose {@code pids.peak} went above 1 (the peak
 * cannot be reset; at 1, a later job's own peak reads the same) gets a new {@code pids}
 * directory; and a slot is taken for a job only when it holds no process. That is every
 * layout but cgroup v2 with the {@code memory} controller, whose {@code memory.peak}
 * cannot be reset for every reader: there, each job's directory is made for it, named
 * after the job.
 */
@Slf4j
public final class Cgroups {

	/** How the machine's cgroups are laid out, as far as this service can use them. */
	public enum Layout {

		/** cgroup v2 only, its subtree delegated to the service's (non-root) user. */
		V2_DELEGATED,
		/** cgroup v2 only, the service running as root. */
		V2_ROOT,
		/** cgroup v1 controllers with a cgroup v2 hierarchy beside them. */
		HYBRID,
		/** cgroup v1 only. */
		V1,
		/** No cgroup file system, or none this service may write. */
		NONE

	}

	private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

	private static final Path OWN = Path.of("/proc/self/cgroup");

	/**
	 * In the order a dead run's cgroups are cleaned up: the freezer first, which kills as
	 * one.
	 */
	private static final List<String> CONTROLLERS = List.of("freezer", "memory", "pids", "cpu", "cpuacct");

	private static final AtomicInteger RUNS = new AtomicInteger();

	/**
	 * The most memory an ended job may leave charged to its memory cgroup (page cache,
	 * kernel objects) for the cgroup to be reused: the next job's peak and limit count
	 * it. About what the kernel's per-CPU charge batches hold anyway (64 pages a CPU).
	 */
	static final long REUSABLE_RESIDUE = 1L << 20;

	/** How many idle slots are kept; more are removed. */
	private static final int IDLE_SLOTS = 64;

	/** The prefix of a slot's name; job names never start with it. */
	static final String SLOT_PREFIX = "slot-";

	/** The prefix of an idle slot's name in earlier versions, which renamed slots. */
	private static final String OLD_IDLE_PREFIX = "idle-";

	private static final String PID_NAMESPACE = pidNamespace();

	private final Layout layout;

	/**
	 * The v2 directory of this run's job cgroups, or null without a usable v2 hierarchy.
	 */
	private final Path v2;

	/** The v1 directory of this run's job cgroups, per controller used from v1. */
	private final Map<String, Path> v1;

	/** Controllers whose limits apply, wherever they come from. */
	private final Set<String> limits;

	private final String description;

	/**
	 * Whether job cgroups are slots here, kept for later jobs (see above); otherwise each
	 * job's directories are made for it and named after it.
	 */
	private final boolean slots;

	/** Whether v1 memory has {@code memory.memsw.limit_in_bytes} (swap accounting). */
	private final boolean memsw;

	/** Idle slots, the most recently used first. */
	private final Deque<Slot> idle = new ArrayDeque<>();

	private final AtomicInteger slotNumbers = new AtomicInteger();

	/** Set by {@link #close()}: no directory is kept or taken any more. */
	private boolean closed;

	/** This run's directories, per hierarchy (v2 first). */
	private final List<Path> runDirectories;

	private Cgroups(Layout layout, Path v2, Map<String, Path> v1, Set<String> limits, String description) {
		this.layout = layout;
		this.v2 = v2;
		this.v1 = Map.copyOf(v1);
		this.limits = Set.copyOf(limits);
		this.description = description;
		this.slots = slotsFor(layout, this.v1, this.limits);
		List<Path> directories = new ArrayList<>();
		if (v2 != null) {
			directories.add(v2);
		}
		this.v1.values().stream().distinct().forEach(directories::add);
		this.runDirectories = List.copyOf(directories);
		Path memory = this.v1.get("memory");
		this.memsw = memory != null && Files.exists(memory.resolve("memory.memsw.limit_in_bytes"));
	}

	/**
	 * Finds the hierarchies and makes this run's directories in them; on a machine that
	 * offers nothing usable the result says why ({@link #usable()} false).
	 */
	public static Cgroups open() {
		try {
			return prepare(mounts(), ownPaths());
		}
		catch (IOException | RuntimeException ex) {
			return none("cgroups could not be read: " + ex.getMessage());
		}
	}

	public static Cgroups none(String why) {
		return new Cgroups(Layout.NONE, null, Map.of(), Set.of(), why);
	}

	public Layout layout() {
		return layout;
	}

	/** Whether jobs can get a cgroup each here. */
	public boolean usable() {
		return layout != Layout.NONE;
	}

	/** What was found and what is used, in one sentence for the log and health. */
	public String description() {
		return description;
	}

	/**
	 * The controllers whose limits can be applied: {@code memory}, {@code pids},
	 * {@code cpu}.
	 */
	public Set<String> limitControllers() {
		return limits;
	}

	/** This run's directories, per hierarchy (v2 first), for diagnostics and tests. */
	public List<Path> runDirectories() {
		return runDirectories;
	}

	/**
	 * Makes the cgroup of job {@code name} with these limits (null: none) in every
	 * hierarchy used: an idle slot where there is one, else a new slot, or where jobs get
	 * no slots, directories named after the job.
	 */
	public JobCgroup create(String name, Long memoryBytes, Integer processes, Double cpus) throws IOException {
		Slot slot = slots ? takeSlot() : null;
		boolean reused = slot != null;
		String directory = reused ? slot.name() : slots ? SLOT_PREFIX + slotNumbers.incrementAndGet() : name;
		HeldFiles files = reused ? slot.files() : new HeldFiles();
		JobCgroup cgroup = new JobCgroup(directory, (v2 != null) ? v2.resolve(directory) : null,
				jobDirectories(directory), slots ? this : null, reused, memsw, files);
		try {
			cgroup.make(memoryBytes, processes, cpus);
			return cgroup;
		}
		catch (IOException | RuntimeException ex) {
			// Not kept for a later job: what failed here could fail there.
			cgroup.discard();
			throw ex;
		}
	}

	/**
	 * Whether job cgroups can be slots: every layout but cgroup v2 with the
	 * {@code memory} controller (whose peak cannot be reset for every reader).
	 */
	private static boolean slotsFor(Layout layout, Map<String, Path> v1, Set<String> limits) {
		boolean v2Memory = limits.contains("memory") && !v1.containsKey("memory");
		return layout != Layout.NONE && !v2Memory;
	}

	/**
	 * Takes the most recently kept idle slot; returns it, or null when there is none (or
	 * a process joined it, which is then killed with the slot).
	 */
	private Slot takeSlot() {
		Slot slot;
		synchronized (idle) {
			slot = closed ? null : idle.pollFirst();
		}
		if (slot == null) {
			return null;
		}
		Path v2Directory = (v2 != null) ? v2.resolve(slot.name()) : null;
		Path pids = v1.containsKey("pids") ? v1.get("pids").resolve(slot.name()) : null;
		for (Path run : runDirectories) {
			Path directory = run.resolve(slot.name());
			if (!holdsNoProcess(directory, v2Directory, pids, slot.files())) {
				// A process joined the idle slot (one that may write the service's cgroup
				// files can): it is killed with the slot, not handed to the next job.
				log.warn("A process joined the idle job cgroup {}; killing it and removing the cgroup", directory);
				slot.files().close();
				// Each directory on its own: a process may be in one hierarchy's only.
				for (Path other : runDirectories) {
					JobCgroup leftover = JobCgroup.adopt(other.resolve(slot.name()));
					leftover.kill();
					leftover.awaitEmpty(1_000);
					leftover.remove();
					leftover.abandon();
				}
				return null;
			}
		}
		return slot;
	}

	/**
	 * Keeps an ended job's slot, readied by the job's cgroup, for a later job; returns
	 * false when the slot is to be removed instead: the run is closed, or it keeps enough
	 * idle slots already.
	 */
	boolean keep(Slot slot) {
		synchronized (idle) {
			if (closed || idle.size() >= IDLE_SLOTS) {
				return false;
			}
			idle.addFirst(slot);
			return true;
		}
	}

	/** An idle slot: its name in every hierarchy, and the files its jobs keep open. */
	record Slot(String name, HeldFiles files) {
	}

	/**
	 * Whether the cgroup {@code directory} exists and holds no process (its
	 * {@code cgroup.procs} is empty).
	 */
	static boolean holdsNoProcess(Path directory) {
		return read(directory.resolve("cgroup.procs")).map(String::isBlank).orElse(false);
	}

	/**
	 * {@link #holdsNoProcess(Path)} for a slot's directory, through the slot's open files
	 * where a file tells (descendants included): the v2 one ({@code v2}) by its
	 * {@code cgroup.events}, the v1 {@code pids} one ({@code pids}) by its
	 * {@code pids.current}.
	 */
	static boolean holdsNoProcess(Path directory, Path v2, Path pids, HeldFiles files) {
		if (directory.equals(v2)) {
			return files.read(directory.resolve("cgroup.events"))
				.map((events) -> events.contains("populated 0"))
				.orElse(false);
		}
		if (directory.equals(pids)) {
			return files.read(directory.resolve("pids.current"))
				.map((current) -> current.trim().equals("0"))
				.orElse(false);
		}
		return holdsNoProcess(directory);
	}

	/** Whether job cgroups are slots here, kept for later jobs. */
	public boolean slots() {
		return slots;
	}

	/** How many idle slots there are now (for tests and diagnostics). */
	public int idleSlots() {
		synchronized (idle) {
			return idle.size();
		}
	}

	private Map<String, Path> jobDirectories(String name) {
		Map<String, Path> directories = new LinkedHashMap<>();
		v1.forEach((controller, run) -> directories.put(controller, run.resolve(name)));
		return directories;
	}

	/**
	 * Kills and removes the job cgroups of runs of the service that are gone (a crash, or
	 * a kill the crash guard missed). Returns how many job cgroups it removed.
	 */
	public int removeDeadRuns() {
		int removed = 0;
		for (Path run : runDirectories) {
			Path parent = run.getParent();
			try (DirectoryStream<Path> runs = Files.newDirectoryStream(parent, Files::isDirectory)) {
				for (Path other : runs) {
					if (!other.equals(run) && !alive(other.getFileName().toString())) {
						removed += removeRun(other);
					}
				}
			}
			catch (IOException ex) {
				log.warn("Could not look for leftover job cgroups in {}: {}", parent, ex.getMessage());
			}
		}
		return removed;
	}

	/** Removes this run's directories (at a graceful stop, once every job has ended). */
	public void close() {
		synchronized (idle) {
			closed = true;
			idle.forEach((slot) -> slot.files().close());
			idle.clear();
		}
		for (Path run : runDirectories) {
			removeRun(run);
			deleteQuietly(run);
		}
	}

	private int removeRun(Path run) {
		int removed = 0;
		try (DirectoryStream<Path> jobs = Files.newDirectoryStream(run, Files::isDirectory)) {
			for (Path job : jobs) {
				JobCgroup leftover = JobCgroup.adopt(job);
				String name = job.getFileName().toString();
				// A slot counts when it held a job's processes; one idle, only kept.
				boolean held = !(name.startsWith(SLOT_PREFIX) || name.startsWith(OLD_IDLE_PREFIX))
						|| leftover.populated();
				leftover.kill();
				leftover.awaitEmpty(2_000);
				boolean gone = leftover.remove();
				leftover.abandon();
				removed += (gone && held) ? 1 : 0;
			}
		}
		catch (IOException ex) {
			log.warn("Could not remove the job cgroups in {}: {}", run, ex.getMessage());
		}
		if (!run.equals(this.v2) && !v1.containsValue(run)) {
			deleteQuietly(run);
		}
		return removed;
	}

	/**
	 * Whether the run named {@code pid-starttime-n-pidns} may still be alive: it is this
	 * process, or its process lives, or it ran in another PID namespace (where its pid
	 * cannot be looked up).
	 */
	private static boolean alive(String run) {
		String[] parts = run.split("-");
		if (parts.length != 4 || !parts[3].equals(PID_NAMESPACE)) {
			return true;
		}
		try {
			long pid = Long.parseLong(parts[0]);
			long ticks = Long.parseLong(parts[1]);
			return ProcessTable.read(pid).map((entry) -> entry.startTicks() == ticks).orElse(false);
		}
		catch (NumberFormatException ex) {
			return true;
		}
	}

	/** The inode number of this process's PID namespace, or "unknown". */
	private static String pidNamespace() {
		try {
			String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
			return link.replaceAll("\\D", "");
		}
		catch (IOException | UnsupportedOperationException ex) {
			return "unknown";
		}
	}

	static void deleteQuietly(Path directory) {
		try {
			Files.deleteIfExists(directory);
		}
		catch (IOException ex) {
			log.debug("Could not remove {}: {}", directory, ex.getMessage());
		}
	}

	// ---- detection

	/**
	 * A cgroup mount: where it is, the cgroup it shows as its root, and its controllers.
	 */
	record Mount(Path point, String root, boolean v2, Set<String> controllers) {
	}

	static List<Mount> mounts() throws IOException {
		List<Mount> mounts = new ArrayList<>();
		for (String line : Files.readAllLines(MOUNTINFO)) {
			int dash = line.indexOf(" - ");
			if (dash < 0) {
				continue;
			}
			String[] left = line.substring(0, dash).split(" ");
			String[] right = line.substring(dash + 3).split(" ");
			if (left.length < 5 || right.length < 3) {
				continue;
			}
			String type = right[0];
			if (!type.equals("cgroup") && !type.equals("cgroup2")) {
				continue;
			}
			Set<String> controllers = new TreeSet<>();
			if (type.equals("cgroup")) {
				for (String option : right[2].split(",")) {
					if (CONTROLLERS.contains(option)) {
						controllers.add(option);
					}
				}
				if (controllers.isEmpty()) {
					continue;
				}
			}
			mounts.add(new Mount(Path.of(unescape(left[4])), unescape(left[3]), type.equals("cgroup2"), controllers));
		}
		return mounts;
	}

	/** This process's cgroup per v1 controller, and its v2 cgroup under the key "". */
	static Map<String, String> ownPaths() throws IOException {
		Map<String, String> paths = new LinkedHashMap<>();
		for (String line : Files.readAllLines(OWN)) {
			String[] fields = line.split(":", 3);
			if (fields.length != 3) {
				continue;
			}
			if (fields[0].equals("0") && fields[1].isEmpty()) {
				paths.put("", fields[2]);
			}
			else {
				for (String controller : fields[1].split(",")) {
					paths.put(controller, fields[2]);
				}
			}
		}
		return paths;
	}

	private static Cgroups prepare(List<Mount> mounts, Map<String, String> own) throws IOException {
		Mount unified = mounts.stream().filter(Mount::v2).findFirst().orElse(null);
		Map<String, Mount> legacy = new LinkedHashMap<>();
		for (Mount mount : mounts) {
			if (!mount.v2()) {
				mount.controllers().forEach((controller) -> legacy.putIfAbsent(controller, mount));
			}
		}
		if (unified == null && legacy.isEmpty()) {
			return none("no cgroup file system is mounted");
		}
		boolean root = ProcessTable.runsAsRoot();
		String run = runName();
		Path v2 = null;
		Set<String> v2Controllers = Set.of();
		String v2Problem = null;
		if (unified != null && own.containsKey("")) {
			Path ownDirectory = directory(unified, own.get(""));
			try {
				Path base = ownDirectory.resolve("jobexec");
				v2Controllers = V2.prepare(ownDirectory, base);
				v2 = Files.createDirectories(base.resolve(run));
				V2.enable(v2, v2Controllers);
			}
			catch (IOException ex) {
				v2Problem = ex.getMessage();
				v2 = null;
			}
		}
		Map<String, Path> v1 = new LinkedHashMap<>();
		List<String> v1Problems = new ArrayList<>();
		// v1 for what v2 lacks: limits and accounting, and the freezer without
		// cgroup.kill.
		for (String controller : CONTROLLERS) {
			boolean needed = switch (controller) {
				case "memory", "pids", "cpu" -> !v2Controllers.contains(controller);
				case "cpuacct", "freezer" -> v2 == null;
				default -> false;
			};
			Mount mount = legacy.get(controller);
			if (!needed || mount == null || !own.containsKey(controller)) {
				continue;
			}
			try {
				Path directory = directory(mount, own.get(controller)).resolve("jobexec").resolve(run);
				v1.put(controller, Files.createDirectories(directory));
			}
			catch (IOException ex) {
				v1Problems.add(controller + ": " + ex.getMessage());
			}
		}
		Set<String> limits = new TreeSet<>(v2Controllers);
		limits.retainAll(Set.of("memory", "pids", "cpu"));
		for (String controller : List.of("memory", "pids", "cpu")) {
			if (v1.containsKey(controller)) {
				limits.add(controller);
			}
		}
		Layout layout = (unified != null && legacy.isEmpty()) ? (root ? Layout.V2_ROOT : Layout.V2_DELEGATED)
				: (unified != null) ? Layout.HYBRID : Layout.V1;
		if (v2 == null && !v1.containsKey("freezer")) {
			// Nothing could stop a job's processes as one: no cgroup per job at all.
			for (Path directory : v1.values()) {
				deleteQuietly(directory);
			}
			String why = (v2Problem != null) ? "cgroup v2: " + v2Problem : (!v1Problems.isEmpty())
					? String.join("; ", v1Problems) : "neither cgroup.kill (v2) nor the v1 freezer is available";
			return none(describe(layout) + " found, but not usable by this service (" + why + ")");
		}
		StringBuilder text = new StringBuilder(describe(layout)).append(": a cgroup per job");
		if (v2 != null) {
			text.append(" under ")
				.append(v2.getParent())
				.append(Files.exists(v2.resolve("cgroup.kill")) ? " (cgroup.kill" : " (cgroup.freeze, then SIGKILL");
			text.append(v2Controllers.isEmpty() ? "" : ", " + String.join(", ", v2Controllers)).append(")");
		}
		if (!v1.isEmpty()) {
			text.append((v2 != null) ? ", with v1 " : " in v1 ").append(String.join(", ", v1.keySet()));
		}
		text.append(slotsFor(layout, v1, limits) ? ", kept as slots for later jobs" : ", made for each job");
		text.append("; limits: ").append(limits.isEmpty() ? "none" : String.join(", ", limits));
		if (!v1Problems.isEmpty() || v2Problem != null) {
			List<String> problems = new ArrayList<>(v1Problems);
			if (v2Problem != null) {
				problems.add("cgroup v2: " + v2Problem);
			}
			text.append(" (not used: ").append(String.join("; ", problems)).append(")");
		}
		return new Cgroups(layout, v2, v1, limits, text.toString());
	}

	private static String describe(Layout layout) {
		return switch (layout) {
			case V2_DELEGATED -> "cgroup v2, delegated";
			case V2_ROOT -> "cgroup v2, as root";
			case HYBRID -> "hybrid cgroups (v1 controllers, v2 beside them)";
			case V1 -> "cgroup v1";
			case NONE -> "no cgroups";
		};
	}

	private static String runName() {
		long pid = ProcessTable.SELF;
		long ticks = ProcessTable.read(pid).map(ProcessTable.Entry::startTicks).orElse(0L);
		return pid + "-" + ticks + "-" + RUNS.incrementAndGet() + "-" + PID_NAMESPACE;
	}

	private static Path directory(Mount mount, String path) {
		String relative = (path.startsWith(mount.root()) && !mount.root().equals("/"))
				? path.substring(mount.root().length()) : path;
		Path directory = mount.point();
		for (String part : relative.split("/")) {
			if (!part.isEmpty()) {
				directory = directory.resolve(part);
			}
		}
		return directory;
	}

	private static String unescape(String field) {
		return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
	}

	/** The cgroup v2 rules: no process in a cgroup whose controllers its children use. */
	static final class V2 {

		private V2() {
		}

		/**
		 * Makes {@code base} ({@code <own>/jobexec}) and enables in it what {@code own}
		 * offers of memory, pids and cpu; returns the enabled ones. When {@code own}
		 * holds processes (this service) and is not the root, the service first moves
		 * itself to the leaf {@code <own>/jobexec-service}, as a delegated cgroup
		 * requires.
		 */
		static Set<String> prepare(Path own, Path base) throws IOException {
			Set<String> offered = new TreeSet<>(words(own.resolve("cgroup.controllers")));
			offered.retainAll(Set.of("memory", "pids", "cpu"));
			Files.createDirectories(base);
			if (offered.isEmpty()) {
				return Set.of();
			}
			boolean isRoot = !Files.exists(own.resolve("cgroup.type"));
			if (!isRoot && !enable(own, offered)) {
				Path leaf = Files.createDirectories(own.resolve("jobexec-service"));
				// Every process of the cgroup: the service and whatever it started
				// already.
				for (String pid : words(own.resolve("cgroup.procs"))) {
					if (!pid.isEmpty()) {
						try {
							write(leaf.resolve("cgroup.procs"), pid);
						}
						catch (IOException ex) {
							log.debug("Could not move process {} into {}: {}", pid, leaf, ex.getMessage());
						}
					}
				}
				log.info("Moved the service into {} so that its cgroup can hand controllers to job cgroups", leaf);
				if (!enable(own, offered)) {
					return Set.of();
				}
			}
			else if (isRoot) {
				enable(own, offered);
			}
			return enable(base, offered) ? Set.copyOf(offered) : Set.of();
		}

		/** Enables {@code controllers} for the children of {@code directory}. */
		static boolean enable(Path directory, Set<String> controllers) {
			if (controllers.isEmpty()) {
				return true;
			}
			StringBuilder change = new StringBuilder();
			controllers
				.forEach((controller) -> change.append(change.isEmpty() ? "" : " ").append('+').append(controller));
			try {
				write(directory.resolve("cgroup.subtree_control"), change.toString());
				return true;
			}
			catch (IOException ex) {
				log.debug("Could not enable {} in {}: {}", controllers, directory, ex.getMessage());
				return false;
			}
		}

	}

	// ---- cgroup files

	static void write(Path file, String value) throws IOException {
		Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
	}

	static Optional<String> read(Path file) {
		try {
			return Optional.of(KernelFiles.read(file, StandardCharsets.US_ASCII));
		}
		catch (IOException ex) {
			// No such file (a cgroup or controller that is gone), or unreadable.
			return Optional.empty();
		}
	}

	static List<String> words(Path file) {
		return words(read(file));
	}

	static List<String> words(Optional<String> text) {
		return text.map((words) -> List.of(words.trim().split("\\s+"))).orElse(List.of());
	}

	/** {@code key value} lines (cpu.stat, memory.events, memory.oom_control). */
	static Map<String, Long> keyed(Optional<String> text) {
		Map<String, Long> values = new LinkedHashMap<>();
		text.ifPresent((lines) -> lines.lines().forEach((line) -> {
			String[] parts = line.trim().split("\\s+");
			if (parts.length == 2) {
				try {
					values.put(parts[0], Long.parseLong(parts[1]));
				}
				catch (NumberFormatException ex) {
					// Not a number: not a counter.
				}
			}
		}));
		return values;
	}

	static Long number(Optional<String> text) {
		return text.map(String::trim).filter((number) -> number.matches("\\d+")).map(Long::parseLong).orElse(null);
	}

}
