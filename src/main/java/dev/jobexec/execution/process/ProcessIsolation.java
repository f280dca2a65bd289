package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.jobexec.os.ProcessTable;

/**
 * What confines a job process on this machine, found at start: the rlimits it starts
 * with, the user it runs as, and what the machine offers for per-job cgroups (reported,
 * not yet used).
 */
public record ProcessIsolation(List<String> rlimits, String runAs, String cgroups) {

	private static final Path CGROUP = Path.of("/sys/fs/cgroup");

	static ProcessIsolation detect(ProcessProperties properties, RunAs runAs) {
		return new ProcessIsolation(properties.limits().prlimitOptions(),
				(runAs != null) ? "uid " + runAs.uid() + " gid " + runAs.gid() : "the service's own user",
				detectCgroups());
	}

	static String detectCgroups() {
		try {
			if (Files.exists(CGROUP.resolve("cgroup.controllers"))) {
				String own = ProcessTable.ownCgroup();
				Path dir = CGROUP.resolve(own.substring(1));
				String controllers = Files.readString(dir.resolve("cgroup.controllers")).trim();
				return "cgroup v2 at " + dir + " with controllers [" + controllers + "]; "
						+ (Files.isWritable(dir)
								? "delegated to this service (per-job cgroups could be created; not used yet)"
								: "not delegated to this service: per-job cgroups unavailable");
			}
			if (Files.isDirectory(CGROUP.resolve("unified"))) {
				return "cgroup v1 with a v2 hierarchy beside it (hybrid): per-job cgroups unavailable";
			}
			return Files.isDirectory(CGROUP) ? "cgroup v1: per-job cgroups unavailable" : "no cgroup file system";
		}
		catch (IOException | RuntimeException ex) {
			return "unknown (" + ex.getMessage() + ")";
		}
	}

}
