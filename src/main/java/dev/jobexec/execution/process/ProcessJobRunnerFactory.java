package dev.jobexec.execution.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.OutputFiles;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.JobRunnerFactory;
import dev.jobexec.execution.PoolType;
import dev.jobexec.os.Spawner;
import dev.jobexec.reaper.JobProcesses;
import lombok.extern.slf4j.Slf4j;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.stereotype.Component;

/** Makes the runners of process pools. */
@Slf4j
@Component
class ProcessJobRunnerFactory implements JobRunnerFactory {

	private final ProcessProperties properties;

	private final ScheduledExecutorService timer;

	private final JobProcesses processes;

	private final JobIsolation isolation;

	private final OutputFiles outputFiles;

	ProcessJobRunnerFactory(ProcessProperties properties, ScheduledExecutorService jobexecTimer, JobProcesses processes,
			JobIsolation isolation, OutputFiles outputFiles) {
		this.properties = properties;
		this.timer = jobexecTimer;
		this.processes = processes;
		this.isolation = isolation;
		this.outputFiles = outputFiles;
	}

	@Override
	public PoolType type() {
		return PoolType.PROCESS;
	}

	@Override
	public JobRunner create(String poolName, ExecutionProperties.Pool config) {
		isolation.admitPool(poolName, config);
		return new ProcessJobRunner(poolName, config, properties, timer, processes, isolation, outputFiles);
	}

	private static void requireExecutable(String name, Path path) {
		if (!Files.isExecutable(path)) {
			throw new IllegalStateException("jobexec.process." + name + ": " + path
					+ " is not an executable; install util-linux (apt-get install util-linux) or set the path");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(ProcessProperties.class)
	static class ProcessConfiguration {

		@Bean(destroyMethod = "close")
		JobIsolation jobIsolation(ProcessProperties properties, ExecutionProperties execution) {
			String unavailable = Spawner.unavailable();
			if (unavailable != null) {
				throw new IllegalStateException("process jobs cannot be started here: " + unavailable);
			}
			RunAs runAs = null;
			if (properties.runAs() != null) {
				runAs = RunAs.resolve(properties.runAs());
				log.info("Process jobs run as uid {} gid {} (jobexec.process.run-as={})", runAs.uid(), runAs.gid(),
						properties.runAs());
			}
			JobIsolation isolation = JobIsolation.open(properties, runAs, execution);
			if (isolation.helper() == null) {
				// Without the helper, util-linux applies the limits and drops to the
				// user.
				if (!properties.limits().prlimitOptions().isEmpty()) {
					requireExecutable("prlimit", properties.prlimit());
				}
				if (runAs != null) {
					requireExecutable("setpriv", properties.setpriv());
				}
			}
			return isolation;
		}

		@Bean
		OutputFiles outputFiles(ProcessProperties properties, ExecutionProperties execution) {
			return new OutputFiles(execution.dataDir().resolve("output"), properties.maxOutputFile());
		}

	}

}
