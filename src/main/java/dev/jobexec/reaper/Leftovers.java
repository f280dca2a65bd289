package dev.jobexec.reaper;

import dev.jobexec.os.ProcessControl;
import dev.jobexec.os.ProcessTable;
import lombok.extern.slf4j.Slf4j;

import org.springframework.stereotype.Component;

/** Kills what an earlier run of the service left behind, found at the next start. */
@Slf4j
@Component
public class Leftovers {

	private final JobProcesses processes;

	Leftovers(JobProcesses processes) {
		this.processes = processes;
	}

	/**
	 * Kills the job leader {@code pid}, if the process with that pid is still the one
	 * that started at {@code startTicks} (so a reused pid is never touched), with its
	 * group, and every process that carries the earlier run's {@code instance} marker.
	 * Returns how many processes were signalled.
	 */
	public int kill(String instance, Long pid, Long startTicks) {
		int killed = 0;
		if (pid != null && startTicks != null) {
			ProcessTable.Entry leader = ProcessTable.read(pid).orElse(null);
			if (leader != null && leader.startTicks() == startTicks && !leader.isZombie()) {
				ProcessControl.signalLeaderAndGroup(leader, ProcessControl.SIGKILL);
				killed++;
			}
		}
		if (instance != null && !instance.equals(processes.instance())) {
			for (ProcessTable.Entry entry : ProcessTable.all()) {
				if (!entry.isZombie() && entry.pid() != ProcessTable.SELF && instance.equals(
						ProcessTable.environmentVariable(entry.pid(), JobProcesses.INSTANCE_VARIABLE).orElse(null))) {
					ProcessControl.signalLeaderAndGroup(entry, ProcessControl.SIGKILL);
					killed++;
				}
			}
		}
		if (killed > 0) {
			log.warn("Killed {} process(es) left by an earlier run (instance {})", killed, instance);
		}
		return killed;
	}

}
