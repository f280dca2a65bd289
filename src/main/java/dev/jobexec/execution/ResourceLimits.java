package dev.jobexec.execution;

import org.springframework.util.unit.DataSize;

/**
 * What one process job may use, enforced through its cgroup: memory in bytes, processes
 * at once, CPU in cores (0.5 is half a core). A null field is not limited.
 */
public record ResourceLimits(Long memory, Integer processes, Double cpu) {

	public static final ResourceLimits NONE = new ResourceLimits(null, null, null);

	/** This job's own limits where it gives them, else {@code pool}'s. */
	public ResourceLimits or(ResourceLimits pool) {
		return new ResourceLimits((memory != null) ? memory : pool.memory(),
				(processes != null) ? processes : pool.processes(), (cpu != null) ? cpu : pool.cpu());
	}

	public boolean isEmpty() {
		return memory == null && processes == null && cpu == null;
	}

	/** The memory limit as people write it, for messages. */
	public static String describeMemory(long bytes) {
		DataSize size = DataSize.ofBytes(bytes);
		if (bytes % (1L << 30) == 0) {
			return size.toGigabytes() + "GB";
		}
		if (bytes % (1L << 20) == 0) {
			return size.toMegabytes() + "MB";
		}
		return (bytes % 1024 == 0) ? size.toKilobytes() + "KB" : bytes + "B";
	}

}
