package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.jobexec.os.ProcessTable;

/**
 * The user jobs run as, resolved once at start to numeric ids, and dropped to with
 * util-linux {@code setpriv} in front of every job.
 */
record RunAs(long uid, long gid) {

	/**
	 * Resolves {@code uid:gid} or a user name (through {@code getent}, so NSS users work
	 * too).
	 */
	static RunAs resolve(String runAs) {
		if (!ProcessTable.runsAsRoot()) {
			throw new IllegalStateException("jobexec.process.run-as (" + runAs
					+ ") needs the service to run as root, so that it can drop to that user");
		}
		if (runAs.matches("\\d+:\\d+")) {
			String[] ids = runAs.split(":");
			return new RunAs(Long.parseLong(ids[0]), Long.parseLong(ids[1]));
		}
		try {
			Process getent = new ProcessBuilder("getent", "passwd", runAs).redirectErrorStream(true).start();
			String line = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			if (!getent.waitFor(10, TimeUnit.SECONDS) || getent.exitValue() != 0) {
				throw new IllegalStateException("jobexec.process.run-as: no user named '" + runAs + "'");
			}
			String[] fields = line.split(":");
			return new RunAs(Long.parseLong(fields[2]), Long.parseLong(fields[3]));
		}
		catch (IOException ex) {
			throw new IllegalStateException(
					"jobexec.process.run-as: cannot look up '" + runAs + "': " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while looking up jobexec.process.run-as");
		}
	}

	/**
	 * The setpriv words in front of the command: new real and effective ids, no
	 * supplementary groups.
	 */
	List<String> setprivArguments(Path setpriv) {
		return List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--");
	}

}
