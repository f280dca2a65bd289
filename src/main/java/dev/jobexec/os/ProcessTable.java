package dev.jobexec.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads processes from {@code /proc}: the witness for process groups, parents and
 * zombies.
 */
public final class ProcessTable {

	private static final Path PROC = Path.of("/proc");

	/** This service's own pid: the parent of its jobs and of the orphans it adopts. */
	public static final long SELF = ProcessHandle.current().pid();

	private ProcessTable() {
	}

	/** One line of {@code /proc/<pid>/stat}, the fields jobexec needs. */
	public record Entry(long pid, String command, char state, long ppid, long pgid, long startTicks) {

		public boolean isZombie() {
			return state == 'Z' || state == 'X';
		}

	}

	/** Every process visible in {@code /proc} now. */
	public static List<Entry> all() {
		List<Entry> entries = new ArrayList<>();
		try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, ProcessTable::isPidDirectory)) {
			for (Path dir : dirs) {
				read(Long.parseLong(dir.getFileName().toString())).ifPresent(entries::add);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot list /proc", ex);
		}
		return entries;
	}

	/** The process with this pid, if it exists. */
	public static Optional<Entry> read(long pid) {
		try {
			return Optional.of(parse(pid,
					KernelFiles.read(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8)));
		}
		catch (IOException ex) {
			// No such process (FileNotFoundException), or it went away while being read
			// (ESRCH).
			return Optional.empty();
		}
	}

	/**
	 * The value of one variable in the environment a process started with, if the process
	 * exists, is readable, and has it.
	 */
	public static Optional<String> environmentVariable(long pid, String name) {
		byte[] environ;
		try {
			environ = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
		}
		catch (IOException ex) {
			return Optional.empty();
		}
		byte[] prefix = (name + "=").getBytes(StandardCharsets.UTF_8);
		int start = 0;
		for (int i = 0; i <= environ.length; i++) {
			if (i == environ.length || environ[i] == 0) {
				if (i - start >= prefix.length
						&& Arrays.equals(environ, start, start + prefix.length, prefix, 0, prefix.length)) {
					return Optional.of(new String(environ, start + prefix.length, i - start - prefix.length,
							StandardCharsets.UTF_8));
				}
				start = i + 1;
			}
		}
		return Optional.empty();
	}

	/** Members of the process group that are not zombies. */
	public static List<Entry> liveMembers(long pgid) {
		return all().stream().filter((entry) -> entry.pgid() == pgid && !entry.isZombie()).toList();
	}

	/**
	 * How many live processes descend from {@code root}, not counting {@code excluded}
	 * and what descends from it.
	 */
	public static int liveDescendants(long root, long excluded) {
		Map<Long, List<Long>> children = new HashMap<>();
		for (Entry entry : all()) {
			if (!entry.isZombie()) {
				children.computeIfAbsent(entry.ppid(), (ppid) -> new ArrayList<>()).add(entry.pid());
			}
		}
		int live = 0;
		ArrayDeque<Long> pending = new ArrayDeque<>(children.getOrDefault(root, List.of()));
		while (!pending.isEmpty()) {
			long pid = pending.poll();
			if (pid != excluded) {
				live++;
				pending.addAll(children.getOrDefault(pid, List.of()));
			}
		}
		return live;
	}

	/**
	 * The command line of a process, its arguments separated by NUL bytes; empty when it
	 * is gone.
	 */
	public static String cmdline(long pid) {
		try {
			return KernelFiles.read(PROC.resolve(Long.toString(pid)).resolve("cmdline"), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			return "";
		}
	}

	/** Whether this process runs with the effective user id 0. */
	public static boolean runsAsRoot() {
		try {
			return Files.readAllLines(PROC.resolve("self").resolve("status"))
				.stream()
				.filter((line) -> line.startsWith("Uid:"))
				.anyMatch((line) -> line.split("\\s+")[2].equals("0"));
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** Whether this machine has a {@code /proc} to read processes from. */
	public static boolean available() {
		return Files.isDirectory(PROC.resolve("self"));
	}

	static Entry parse(long pid, String stat) {
		int open = stat.indexOf('(');
		int close = stat.lastIndexOf(')');
		String command = stat.substring(open + 1, close);
		String[] fields = stat.substring(close + 2).trim().split(" ");
		// fields[0] is field 3 of proc(5): state, ppid, pgrp, session, ..., starttime is
		// field 22.
		return new Entry(pid, command, fields[0].charAt(0), Long.parseLong(fields[1]), Long.parseLong(fields[2]),
				Long.parseLong(fields[19]));
	}

	private static boolean isPidDirectory(Path path) {
		String name = path.getFileName().toString();
		for (int i = 0; i < name.length(); i++) {
			if (!Character.isDigit(name.charAt(i))) {
				return false;
			}
		}
		return !name.isEmpty();
	}

}
