package dev.jobexec.execution.process;

import java.nio.file.Files;
import java.util.concurrent.ScheduledExecutorService;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.JobRunnerFactory;
import dev.jobexec.execution.PoolType;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Component;

/** Makes the runners of process pools. */
@lombok.extern.slf4j.Slf4j
@Component
class ProcessJobRunnerFactory implements JobRunnerFactory {

	private final ProcessProperties properties;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final RunAs runAs;

	private final ProcessIsolation isolation;

	ProcessJobRunnerFactory(ProcessProperties properties, ScheduledExecutorService jobexecTimer,
			JobProcesses processes) {
		String unavailable = Spawner.unavailable();
		if (unavailable != null) {
			throw new IllegalStateException("process jobs cannot be started here: " + unavailable);
		}
		if (!properties.limits().prlimitOptions().isEmpty()) {
			requireExecutable("prlimit", properties.prlimit());
		}
		if (properties.runAs() != null) {
			requireExecutable("setpriv", properties.setpriv());
			this.runAs = RunAs.resolve(properties.runAs());
			log.info("Process jobs run as uid {} gid {} (jobexec.process.run-as={})", runAs.uid(), runAs.gid(),
					properties.runAs());
		}
		else {
			this.runAs = null;
		}
		this.isolation = ProcessIsolation.detect(properties, runAs);
		log.info("Process jobs start with limits {} as {}; {}", isolation.rlimits(), isolation.runAs(),
				isolation.cgroups());
		this.properties = properties;
		this.timer = jobexecTimer;
		this.processes = processes;
	}

	/** What confines job processes here, for the jobpools endpoint. */
	ProcessIsolation isolation() {
		return isolation;
	}

	@Override
	public PoolType type() {
		return PoolType.PROCESS;
	}

	@Override
	public JobRunner create(String poolName, ExecutionProperties.Pool config) {
		return new ProcessJobRunner(poolName, config, properties, timer, processes, runAs);
	}

	private static void requireExecutable(String name, java.nio.file.Path path) {
		if (!Files.isExecutable(path)) {
			throw new IllegalStateException("jobexec.process." + name + ": " + path
					+ " is not an executable; install util-linux (apt-get install util-linux) or set the path");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(ProcessProperties.class)
	static class ProcessConfiguration {

		@Bean
		ProcessIsolation processIsolation(ProcessJobRunnerFactory factory) {
			return factory.isolation();
		}

	}

}
