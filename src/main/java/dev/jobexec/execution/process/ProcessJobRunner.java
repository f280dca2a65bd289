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
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.os.ProcessTable;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;
import lombok.extern.slf4j.Slf4j;

/** Runs the jobs of one process pool, each in its own session and process group. */
@Slf4j
final class ProcessJobRunner implements JobRunner {

	private final ExecutionProperties.Pool config;

	private final ProcessProperties properties;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final RunAs runAs;

	ProcessJobRunner(String pool, ExecutionProperties.Pool config, ProcessProperties properties,
			ScheduledExecutorService timer, JobProcesses processes, RunAs runAs) {
		this.config = config;
		this.properties = properties;
		this.timer = timer;
		this.processes = processes;
		this.runAs = runAs;
		try {
			Files.createDirectories(config.baseDirectory());
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot create the base directory of pool '" + pool + "': "
					+ config.baseDirectory() + " (set jobexec.pools." + pool + ".base-directory)", ex);
		}
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
		processes.starting(spec.jobId());
		Spawner.Spawned spawned;
		try {
			spawned = Spawner.spawn(argv(spec), environment, directory, spec.stdin() != null);
		}
		catch (IOException ex) {
			processes.ended(spec.jobId(), null);
			listener.started(ExecutionStart.withoutProcess(startedAt));
			listener.finished(ExecutionOutcome.failedToStart("could not start: " + ex.getMessage()));
			return RunningJob.NONE;
		}
		long pid = spawned.pid();
		processes.started(spec.jobId(), pid);
		int pidFd;
		try {
			pidFd = Spawner.pidfd(spawned.pid());
		}
		catch (IOException ex) {
			// Still watched, by polling its wait status every second instead of being
			// woken at its end.
			pidFd = -1;
			log.warn("No pidfd for process {} of job {}: {}", pid, spec.jobId(), ex.getMessage());
		}
		ProcessJob job = new ProcessJob(spec, spawned, pidFd, config.killGrace(),
				(int) properties.maxOutput().toBytes(), timer, processes, listener);
		Long startTicks = ProcessTable.read(pid).map(ProcessTable.Entry::startTicks).orElse(null);
		job.supervise();
		try {
			listener.started(new ExecutionStart(startedAt, pid, startTicks));
		}
		finally {
			// The watcher reads output from the start, but reports the end only after
			// this.
			job.startReported();
		}
		return job;
	}

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
