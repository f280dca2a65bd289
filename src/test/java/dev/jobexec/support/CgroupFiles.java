package dev.jobexec.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.jobexec.os.ProcessTable;
import org.junit.jupiter.api.Assumptions;

/**
 * The cgroup directories of a live process, read the way an operator would: its
 * {@code /proc/<pid>/cgroup} against the cgroup mounts in {@code /proc/self/mountinfo}.
 * Independent of the service's own cgroup code, so that tests check what the kernel
 * shows, not what the service believes. {@code .ci/run} sets
 * {@code JOBEXEC_REQUIRE_CGROUPS=true}: there, a machine without usable cgroups fails the
 * tests instead of skipping them.
 */
public final class CgroupFiles {

	/** The key of the cgroup v2 directory in {@link #of(long)}. */
	public static final String V2 = "unified";

	private CgroupFiles() {
	}

	/**
	 * Skips the test (or fails it, when cgroups are required) unless the service runs as
	 * root on a machine whose cgroups it can write: per-job cgroups need either, or a
	 * delegated v2 subtree, which the tests do not set up.
	 */
	public static void requireWritableCgroups(String layout) {
		String reason = null;
		if (!ProcessTable.runsAsRoot()) {
			reason = "the tests do not run as root";
		}
		else if (layout == null || "none".equals(layout)) {
			reason = "the service found no usable cgroups (isolation layout " + layout + ")";
		}
		if (reason != null) {
			unavailable(reason + "; per-job cgroup tests need root and writable cgroups");
		}
	}

	/**
	 * Skips the test for {@code reason}, or fails it where cgroups are required
	 * ({@code JOBEXEC_REQUIRE_CGROUPS}, set by {@code .ci/run}).
	 */
	public static void unavailable(String reason) {
		if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_CGROUPS"))) {
			throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_CGROUPS is set)");
		}
		Assumptions.abort(reason);
	}

	/**
	 * The directories of process {@code pid}'s cgroups: per v1 controller (its name), and
	 * {@link #V2} for the cgroup v2 one; empty when the process is gone.
	 */
	public static Map<String, Path> of(long pid) {
		try {
			return parse(Files.readString(Path.of("/proc", Long.toString(pid), "cgroup")));
		}
		catch (NoSuchFileException ex) {
			return Map.of();
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read the cgroups of process " + pid, ex);
		}
	}

	/**
	 * The directories named by a {@code /proc/<pid>/cgroup} text, such as the one a job
	 * printed: per v1 controller (its name), and {@link #V2} for the cgroup v2 one.
	 */
	public static Map<String, Path> parse(String procCgroup) {
		List<Mount> mounts = mounts();
		Map<String, Path> directories = new LinkedHashMap<>();
		for (String line : procCgroup.lines().toList()) {
			// hierarchy-id:controller,list:/path
			String[] fields = line.split(":", 3);
			if (fields.length != 3) {
				continue;
			}
			if (fields[1].isEmpty()) {
				mounts.stream()
					.filter(Mount::v2)
					.findFirst()
					.ifPresent((mount) -> directories.put(V2, mount.resolve(fields[2])));
				continue;
			}
			for (String controller : fields[1].split(",")) {
				mounts.stream()
					.filter((mount) -> !mount.v2() && mount.options().contains(controller))
					.findFirst()
					.ifPresent((mount) -> directories.put(controller, mount.resolve(fields[2])));
			}
		}
		return directories;
	}

	/** One file of a cgroup, trimmed, or empty when it does not exist. */
	public static Optional<String> read(Path directory, String file) {
		try {
			return Optional.of(Files.readString(directory.resolve(file)).trim());
		}
		catch (NoSuchFileException ex) {
			return Optional.empty();
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read " + directory.resolve(file), ex);
		}
	}

	private record Mount(Path point, String root, boolean v2, List<String> options) {

		Path resolve(String path) {
			String relative = (path.startsWith(root)) ? path.substring(root.length()) : path;
			return point.resolve(relative.replaceFirst("^/+", ""));
		}

	}

	/** Where cgroup v2 file systems are mounted here, as {@code mountinfo} lists them. */
	public static List<Path> v2MountPoints() {
		return mounts().stream().filter(Mount::v2).map(Mount::point).toList();
	}

	/** Where cgroup v1 hierarchies are mounted here, as {@code mountinfo} lists them. */
	public static List<Path> v1MountPoints() {
		return mounts().stream().filter((mount) -> !mount.v2()).map(Mount::point).toList();
	}

	/** A path of {@code mountinfo}, where a space, tab, newline or backslash is octal. */
	private static String unescape(String field) {
		return Pattern.compile("\\\\([0-7]{3})")
			.matcher(field)
			.replaceAll((octal) -> Matcher.quoteReplacement(Character.toString(Integer.parseInt(octal.group(1), 8))));
	}

	private static List<Mount> mounts() {
		try {
			return Files.readAllLines(Path.of("/proc/self/mountinfo"))
				.stream()
				.map((line) -> line.split(" - ", 2))
				.filter((halves) -> halves.length == 2)
				.map((halves) -> {
					String[] before = halves[0].split(" ");
					String[] after = halves[1].split(" ");
					boolean v2 = "cgroup2".equals(after[0]);
					return ("cgroup".equals(after[0]) || v2) ? new Mount(Path.of(unescape(before[4])),
							unescape(before[3]), v2, List.of(after[after.length - 1].split(","))) : null;
				})
				.filter(java.util.Objects::nonNull)
				.toList();
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read /proc/self/mountinfo", ex);
		}
	}

}
