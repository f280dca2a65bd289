package dev.jobexec.execution.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;

import dev.jobexec.execution.ExecutionListener;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionStart;
import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.OutputFiles;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.ResourceLimits;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.os.Cgroups;
import dev.jobexec.os.JobCgroup;
import dev.jobexec.os.SpawnHelper;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;
import lombok.extern.slf4j.Slf4j;

/**
 * Runs the jobs of one process pool, each in its own session and process group, and in
 * its own cgroup where the pool has them.
 */
@Slf4j
final class ProcessJobRunner implements JobRunner {

	private final ExecutionProperties.Pool config;

	private final ProcessProperties properties;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final RunAs runAs;

	private final String pool;

	private final JobIsolation isolation;

	private final OutputFiles outputFiles;

	ProcessJobRunner(String pool, ExecutionProperties.Pool config, ProcessProperties properties,
			ScheduledExecutorService timer, JobProcesses processes, JobIsolation isolation, OutputFiles outputFiles) {
		this.outputFiles = outputFiles;
		this.pool = pool;
		this.config = config;
		this.properties = properties;
		this.timer = timer;
		this.processes = processes;
		this.isolation = isolation;
		this.runAs = isolation.runAs();
		try {
			Files.createDirectories(config.baseDirectory());
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot create the base directory of pool '" + pool + "': "
					+ config.baseDirectory() + " (set jobexec.pools." + pool + ".base-directory)", ex);
		}
	}

	/**
	 * A stream's capture, which also keeps it whole in a file unless files are off; the
	 * file of the job's previous attempt on this node, if any, is deleted.
	 */
	private OutputCapture capture(ExecutionSpec spec, String stream) {
		int limit = (int) properties.maxOutput().toBytes();
		if (!outputFiles.enabled()) {
			return new OutputCapture(limit);
		}
		if (spec.attempt() > 1) {
			outputFiles.discard(outputFiles.path(spec.jobId(), spec.attempt() - 1, stream));
		}
		java.nio.file.Path file = outputFiles.path(spec.jobId(), spec.attempt(), stream);
		outputFiles.writing(file);
		return new OutputCapture(limit, new OutputFile(file, outputFiles.limit(), () -> outputFiles.written(file)));
	}

	@Override
	public RunningJob start(ExecutionSpec spec, Instant startedAt, ExecutionListener listener) {
		Map<String, String> variables = new LinkedHashMap<>();
		variables.put("PATH", properties.path());
		if (spec.env() != null) {
			variables.putAll(spec.env());
		}
		variables.putAll(processes.environment(spec.jobId()));
		List<String> environment = new ArrayList<>(variables.size());
		variables.forEach((name, value) -> environment.add(name + "=" + value));
		Path directory = (spec.workingDirectory() != null) ? spec.workingDirectory() : config.baseDirectory();
		JobCgroup cgroup = null;
		Cgroups cgroups = isolation.cgroupsFor(pool);
		if (cgroups != null) {
			ResourceLimits limits = spec.limits().or(config.resourceLimits());
			try {
				// Where job cgroups are not slots, a directory per attempt, named after
				// it: the previous attempt's may not be removed yet (a process of it
				// still exiting).
				String name = (spec.attempt() > 1) ? spec.jobId() + "." + spec.attempt() : spec.jobId();
				cgroup = cgroups.create(name, limits.memory(), limits.processes(), limits.cpu());
			}
			catch (IOException | RuntimeException ex) {
				return notStarted(spec, startedAt, listener, "could not make the job's cgroup: " + ex.getMessage());
			}
		}
		processes.starting(spec.jobId());
		Spawner.Spawned spawned;
		int pidFd;
		try {
			SpawnHelper helper = isolation.helper();
			if (helper != null) {
				SpawnHelper.Started started = helper
					.spawn(new SpawnHelper.Request(spec.command(), environment, directory, spec.stdin() != null,
							properties.limits().rlimits(), (runAs != null) ? Math.toIntExact(runAs.uid()) : null,
							(runAs != null) ? Math.toIntExact(runAs.gid()) : null,
							(cgroup != null) ? cgroup.v2Directory() : null,
							(cgroup != null) ? cgroup.v1Procs() : List.of()));
				spawned = started.process();
				pidFd = started.pidFd();
			}
			else {
				spawned = Spawner.spawn(argv(spec), environment, directory, spec.stdin() != null);
				pidFd = pidfd(spawned.pid(), spec.jobId());
			}
		}
		catch (IOException ex) {
			processes.ended(spec.jobId(), null);
			if (cgroup != null) {
				cgroup.kill();
				cgroup.awaitEmpty(1_000);
				// Not kept for a later job: what failed here (a join) could fail there.
				if (!cgroup.discard()) {
					cgroup.abandon();
				}
			}
			return notStarted(spec, startedAt, listener, "could not start: " + ex.getMessage());
		}
		long pid = spawned.pid();
		processes.started(spec.jobId(), pid);
		// The watcher reports the start: with the end, if the job ends within the
		// start-record delay.
		ProcessJob job = new ProcessJob(spec, spawned, pidFd, cgroup, config.killGrace(), capture(spec, "stdout"),
				capture(spec, "stderr"), timer, processes, listener, startedAt, properties.startRecordDelay());
		job.supervise();
		return job;
	}

	private static RunningJob notStarted(ExecutionSpec spec, Instant startedAt, ExecutionListener listener,
			String error) {
		listener.started(ExecutionStart.withoutProcess(startedAt));
		listener.finished(ExecutionOutcome.failedToStart(error));
		return RunningJob.NONE;
	}

	/** A pidfd for a process posix_spawn started, or -1 (then its end is polled for). */
	private static int pidfd(int pid, String jobId) {
		try {
			return Spawner.pidfd(pid);
		}
		catch (IOException ex) {
			log.warn("No pidfd for process {} of job {}: {}", pid, jobId, ex.getMessage());
			return -1;
		}
	}

	/**
	 * Without the spawn helper: prlimit, then setpriv, then the command, one exec each.
	 */
	private List<String> argv(ExecutionSpec spec) {
		List<String> argv = new ArrayList<>(spec.command().size() + 12);
		// Each of these execs the next in the same process: limits, then the user, then
		// the command.
		// The session and process group come from posix_spawn itself
		// (POSIX_SPAWN_SETSID).
		List<String> limits = properties.limits().prlimitOptions();
		if (!limits.isEmpty()) {
			argv.add(properties.prlimit().toString());
			argv.addAll(limits);
			argv.add("--");
		}
		if (runAs != null) {
			argv.addAll(runAs.setprivArguments(properties.setpriv()));
		}
		argv.addAll(spec.command());
		return argv;
	}

}
