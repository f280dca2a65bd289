package dev.jobexec.execution.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ExecutionOutcome;
import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.ExecutionSpec;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.RunningJob;
import dev.jobexec.execution.reaper.JobProcesses;

/** Runs the jobs of one process pool, each in its own session and process group. */
final class ProcessJobRunner implements JobRunner {

	private static final File DEV_NULL = new File("/dev/null");

	private final ExecutionProperties.Pool config;

	private final ProcessProperties properties;

	private final ProcessLauncher launcher;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final RunAs runAs;

	ProcessJobRunner(String pool, ExecutionProperties.Pool config, ProcessProperties properties,
			ProcessLauncher launcher, ScheduledExecutorService timer, JobProcesses processes, RunAs runAs) {
		this.config = config;
		this.properties = properties;
		this.launcher = launcher;
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
	public RunningJob start(ExecutionSpec spec, Consumer<ExecutionOutcome> completion) {
		ProcessBuilder builder = new ProcessBuilder(argv(spec));
		builder.directory((spec.workingDirectory() != null) ? spec.workingDirectory().toFile()
				: config.baseDirectory().toFile());
		Map<String, String> environment = builder.environment();
		environment.clear();
		environment.put("PATH", properties.path());
		if (spec.env() != null) {
			environment.putAll(spec.env());
		}
		environment.putAll(processes.environment(spec.jobId()));
		if (spec.stdin() == null) {
			builder.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
		}
		Process process;
		processes.starting(spec.jobId());
		try {
			process = launcher.spawn(builder);
		}
		catch (IOException ex) {
			processes.ended(spec.jobId(), null);
			completion.accept(new ExecutionOutcome(ExecutionOutcome.Status.FAILED, null, null, null,
					"could not start: " + ex.getMessage(), CapturedOutput.EMPTY, CapturedOutput.EMPTY, null));
			return ProcessJob.NOT_STARTED;
		}
		processes.started(spec.jobId(), process.pid());
		ProcessJob job = new ProcessJob(spec, process, config.killGrace(), (int) properties.maxOutput().toBytes(),
				timer, (outcome) -> {
					processes.ended(spec.jobId(), process.pid());
					completion.accept(outcome);
				});
		job.supervise();
		return job;
	}

	private List<String> argv(ExecutionSpec spec) {
		List<String> argv = new ArrayList<>(spec.command().size() + 12);
		// Each of these execs the next in the same process: limits, then the user, then the session.
		List<String> limits = properties.limits().prlimitOptions();
		if (!limits.isEmpty()) {
			argv.add(properties.prlimit().toString());
			argv.addAll(limits);
			argv.add("--");
		}
		if (runAs != null) {
			argv.addAll(runAs.setprivArguments(properties.setpriv()));
		}
		// A JVM child is never a process group leader, so setsid does not fork: the job's pid is its pgid.
		argv.add(properties.setsid().toString());
		argv.add("-w");
		argv.addAll(spec.command());
		return argv;
	}

}
