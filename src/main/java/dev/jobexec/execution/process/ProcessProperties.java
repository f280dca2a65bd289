package dev.jobexec.execution.process;

import java.nio.file.Path;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How process jobs are launched and what they may run, bound from {@code jobexec.process.*}.
 *
 * @param allowedCommands executables a process job may run: absolute paths or globs ({@code *}
 * within a directory, {@code **} across directories), matched against the command's real path;
 * anything else is refused with 403. The default is a development default that allows shells.
 * @param maxOutput bytes kept per stream and job (half from the head, half from the tail); the
 * rest is counted and dropped
 * @param path the {@code PATH} a job sees, and where a command given by bare name is looked up
 * @param setsid the util-linux {@code setsid} binary that puts each job in its own session
 */
@ConfigurationProperties("jobexec.process")
public record ProcessProperties(
		@DefaultValue({ "/usr/bin/*", "/bin/*", "/usr/local/bin/*" }) List<String> allowedCommands,
		@DefaultValue("1MB") DataSize maxOutput, @DefaultValue("/usr/local/bin:/usr/bin:/bin") String path,
		@DefaultValue("/usr/bin/setsid") Path setsid) {

	public ProcessProperties {
		if (maxOutput.isNegative() || maxOutput.toBytes() > Integer.MAX_VALUE / 2) {
			throw new IllegalArgumentException("jobexec.process.max-output must be between 0 and 1GB");
		}
	}

}
