package dev.jobexec.reaper;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

/**
 * What ties OS processes to this service and to its jobs: the job leaders their watchers
 * reap, the jobs still running, and the two variables every job process carries in its
 * environment ({@code JOBEXEC_INSTANCE}, {@code JOBEXEC_JOB_ID}), which its descendants
 * inherit even when they leave the job's process group.
 */
@Component
public class JobProcesses {

	/** Names this run of the service; a new one every start. */
	public static final String INSTANCE_VARIABLE = "JOBEXEC_INSTANCE";

	/** Names the job a process belongs to. */
	public static final String JOB_VARIABLE = "JOBEXEC_JOB_ID";

	private final String instance = UUID.randomUUID().toString();

	private final Map<Long, String> leaders = new ConcurrentHashMap<>();

	private final Set<String> runningJobs = ConcurrentHashMap.newKeySet();

	private volatile long guardian = -1;

	public String instance() {
		return instance;
	}

	/** The variables a job's process gets, so that the reaper can tell whose it is. */
	public Map<String, String> environment(String jobId) {
		return Map.of(INSTANCE_VARIABLE, instance, JOB_VARIABLE, jobId);
	}

	/**
	 * Call before the job's process is spawned, so that nothing of it is ever taken for
	 * an orphan.
	 */
	public void starting(String jobId) {
		runningJobs.add(jobId);
	}

	/**
	 * The job's leader exists; its watcher reaps it, so the reaper must never wait for
	 * it.
	 */
	public void started(String jobId, long pid) {
		leaders.put(pid, jobId);
	}

	/** The job has ended: its leader is reaped and its group is gone (or given up on). */
	public void ended(String jobId, Long pid) {
		if (pid != null) {
			leaders.remove(pid);
		}
		runningJobs.remove(jobId);
	}

	public boolean isLeader(long pid) {
		return leaders.containsKey(pid) || pid == guardian;
	}

	public boolean isRunning(String jobId) {
		return runningJobs.contains(jobId);
	}

	void guardian(long pid) {
		guardian = pid;
	}

	long guardian() {
		return guardian;
	}

}
