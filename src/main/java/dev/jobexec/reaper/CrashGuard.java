package dev.jobexec.reaper;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

import lombok.extern.slf4j.Slf4j;

/**
 * A tiny watchdog process that outlives the service by a moment: it blocks reading a pipe
 * only the service writes to, and when the service dies, however it dies, the kernel
 * closes that pipe and the watchdog kills every process that carries this service's
 * {@code JOBEXEC_INSTANCE} marker, together with the process groups they lead. A
 * parent-death signal would only reach the job leaders; this reaches their descendants
 * too, including ones that left the job's group.
 */
@Slf4j
final class CrashGuard {

	private static final String SCRIPT = """
			trap '' INT TERM HUP QUIT
			while read -r _; do :; done
			sweep() {
			  for f in $(grep -lxzF "JOBEXEC_INSTANCE=$1" /proc/[0-9]*/environ 2>/dev/null); do
			    p=${f#/proc/}; p=${p%/environ}
			    kill -KILL -"$p" 2>/dev/null
			    kill -KILL "$p" 2>/dev/null
			  done
			}
			sweep "$1"; sleep 0.2; sweep "$1"
			""";

	private final String instance;

	private Process process;

	private OutputStream lifeline;

	CrashGuard(String instance) {
		this.instance = instance;
	}

	long start() throws IOException {
		ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "jobexec-guard", instance);
		builder.environment().clear();
		builder.environment().put("PATH", "/usr/bin:/bin");
		builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
		builder.redirectError(ProcessBuilder.Redirect.INHERIT);
		process = builder.start();
		lifeline = process.getOutputStream();
		return process.pid();
	}

	boolean isAlive() {
		return process != null && process.isAlive();
	}

	/**
	 * Closes the lifeline: the guard sweeps (finding nothing after a clean stop) and
	 * exits.
	 */
	void stop() {
		if (process == null) {
			return;
		}
		try {
			lifeline.close();
			if (!process.waitFor(5, TimeUnit.SECONDS)) {
				process.destroyForcibly();
			}
		}
		catch (IOException ex) {
			process.destroyForcibly();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
		}
	}

}
