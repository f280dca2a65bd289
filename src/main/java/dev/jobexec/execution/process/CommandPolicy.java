package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import lombok.extern.slf4j.Slf4j;

import org.springframework.stereotype.Component;

/**
 * Decides which executables process jobs may run. A command is resolved to its real path
 * (symlinks and {@code ..} followed) before it is matched, so a path cannot slip past a
 * rule.
 */
@Slf4j
@Component
public class CommandPolicy {

	private static final List<String> SHELLS = List.of("/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/env");

	private final List<String> rules;

	private final List<PathMatcher> matchers = new ArrayList<>();

	private final List<Path> searchPath;

	CommandPolicy(ProcessProperties properties) {
		this.rules = List.copyOf(properties.allowedCommands());
		for (String rule : rules) {
			if (!rule.startsWith("/")) {
				throw new IllegalArgumentException(
						"jobexec.process.allowed-commands entries must be absolute paths or globs, was '" + rule + "'");
			}
			matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + realPrefix(rule)));
		}
		this.searchPath = List.of(properties.path().split(":"))
			.stream()
			.filter((dir) -> !dir.isBlank())
			.map(Path::of)
			.toList();
		List<String> shells = SHELLS.stream().filter((shell) -> isAllowed(Path.of(shell))).toList();
		if (!shells.isEmpty()) {
			log.warn("""

					*** jobexec.process.allowed-commands {} allows shells ({}): any client with an API key can run \
					any command on this machine. This is a development default; list the exact executables \
					your jobs need before exposing the service. ***
					""", rules, shells);
		}
	}

	/**
	 * The executable {@code command} runs, as a real absolute path.
	 * @throws IllegalArgumentException when it cannot be found or is not an executable
	 * file
	 * @throws CommandNotAllowedException when it is not on the allow-list
	 */
	public Path resolve(String command) {
		Path candidate = locate(command)
			.orElseThrow(() -> new IllegalArgumentException("'" + command + "' was not found on " + searchPath));
		// The allow-list is asked first, so that a refused path reveals nothing: whether
		// it
		// exists, what it is, or where it leads.
		if (!matchesRule(realPathOf(candidate))) {
			throw new CommandNotAllowedException(command, candidate.normalize().toString(), rules);
		}
		Path real;
		try {
			real = candidate.toRealPath();
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("'" + command + "' does not exist");
		}
		if (!Files.isRegularFile(real) || !Files.isExecutable(real)) {
			throw new IllegalArgumentException("'" + command + "' is not an executable file");
		}
		return real;
	}

	/**
	 * The real path of {@code path}, or, when it does not exist, the real path of its
	 * deepest existing ancestor with the rest appended: where it would be.
	 */
	private static Path realPathOf(Path path) {
		Path absolute = path.toAbsolutePath().normalize();
		Path rest = absolute.getFileSystem().getPath("");
		for (Path existing = absolute; existing != null; existing = existing.getParent()) {
			try {
				return existing.toRealPath().resolve(rest);
			}
			catch (IOException ex) {
				rest = existing.getFileName().resolve(rest);
			}
		}
		return absolute;
	}

	private boolean isAllowed(Path path) {
		try {
			return matchesRule(path.toRealPath());
		}
		catch (IOException ex) {
			return false;
		}
	}

	private boolean matchesRule(Path real) {
		return matchers.stream().anyMatch((matcher) -> matcher.matches(real));
	}

	private Optional<Path> locate(String command) {
		if (command.isEmpty() || command.indexOf('\0') >= 0) {
			return Optional.empty();
		}
		if (command.startsWith("/")) {
			return Optional.of(Path.of(command));
		}
		if (command.contains("/")) {
			throw new IllegalArgumentException("'" + command + "' must be an absolute path or a bare name");
		}
		return searchPath.stream().map((dir) -> dir.resolve(command)).filter(Files::isExecutable).findFirst();
	}

	/**
	 * Resolves the directory part of a rule that has no glob characters, so rules match
	 * real paths.
	 */
	private static String realPrefix(String rule) {
		int firstGlob = indexOfGlob(rule);
		String fixed = (firstGlob < 0) ? rule : rule.substring(0, rule.lastIndexOf('/', firstGlob) + 1);
		String rest = rule.substring(fixed.length());
		try {
			String real = Path.of(fixed).toRealPath().toString();
			return (rest.isEmpty()) ? real : real + (real.endsWith("/") ? "" : "/") + rest;
		}
		catch (IOException ex) {
			return rule;
		}
	}

	private static int indexOfGlob(String rule) {
		for (int i = 0; i < rule.length(); i++) {
			if ("*?[{".indexOf(rule.charAt(i)) >= 0) {
				return i;
			}
		}
		return -1;
	}

}
