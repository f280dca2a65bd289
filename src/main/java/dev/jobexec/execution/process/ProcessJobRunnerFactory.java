package dev.jobexec.execution.process;

import java.nio.file.Files;
import java.util.concurrent.ScheduledExecutorService;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.JobRunnerFactory;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.reaper.JobProcesses;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Component;

/** Makes the runners of process pools. */
@Component
class ProcessJobRunnerFactory implements JobRunnerFactory {

	private final ProcessProperties properties;

	private final ProcessLauncher launcher;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	ProcessJobRunnerFactory(ProcessProperties properties, ProcessLauncher launcher,
			ScheduledExecutorService jobexecTimer, JobProcesses processes) {
		if (!Files.isExecutable(properties.setsid())) {
			throw new IllegalStateException("jobexec.process.setsid: " + properties.setsid()
					+ " is not an executable; install util-linux (apt-get install util-linux) or set the path");
		}
		this.properties = properties;
		this.launcher = launcher;
		this.timer = jobexecTimer;
		this.processes = processes;
	}

	@Override
	public PoolType type() {
		return PoolType.PROCESS;
	}

	@Override
	public JobRunner create(String poolName, ExecutionProperties.Pool config) {
		return new ProcessJobRunner(poolName, config, properties, launcher, timer, processes);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(ProcessProperties.class)
	static class ProcessConfiguration {

	}

}
