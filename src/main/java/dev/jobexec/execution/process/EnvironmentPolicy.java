package dev.jobexec.execution.process;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import dev.jobexec.reaper.JobProcesses;

import org.springframework.stereotype.Component;

/**
 * Decides which environment variables a job may set: valid names only, and none of those
 * that change how programs load or what shells run first (the dynamic loader's
 * {@code LD_*}, glibc's list of unsafe variables, {@code BASH_ENV}), unless configuration
 * allows them by name.
 */
@Component
public class EnvironmentPolicy {

	private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

	/**
	 * glibc's UNSECURE_ENVVARS (what it drops for setuid programs), and the shells'
	 * startup files.
	 */
	private static final Set<String> UNSAFE = Set.of("GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN",
			"LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR",
			"BASH_ENV", "ENV", "SHELLOPTS", "PS4", "IFS");

	private final Set<String> allowed;

	EnvironmentPolicy(ProcessProperties properties) {
		this.allowed = Set.copyOf(properties.allowedEnvOverrides());
	}

	/** Why {@code name} may not be set, or null when it may. */
	public String refusal(String name) {
		if (!NAME.matcher(name).matches()) {
			return "'" + name + "' is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)";
		}
		if (name.equals(JobProcesses.INSTANCE_VARIABLE) || name.equals(JobProcesses.JOB_VARIABLE)) {
			return name + " is set by jobexec itself";
		}
		if (allowed.contains(name)) {
			return null;
		}
		if (name.startsWith("LD_") || UNSAFE.contains(name.toUpperCase(Locale.ROOT))) {
			return name + " changes how programs load or start and is refused; allow it by name in "
					+ "jobexec.process.allowed-env-overrides";
		}
		return null;
	}

}
