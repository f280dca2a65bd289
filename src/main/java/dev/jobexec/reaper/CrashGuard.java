package dev.jobexec.reaper;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import lombok.extern.slf4j.Slf4j;

/**
 * A tiny watchdog process that outlives the service by a moment: it blocks reading a pipe
 * only the service writes to, and when the service dies, however it dies, the kernel
 * closes that pipe and the watchdog kills every process that carries this service's
 * {@code JOBEXEC_INSTANCE} marker, together with the process groups they lead. A
 * parent-death signal would only reach the job leaders; this reaches their descendants
 * too, including ones that left the job's group.
 * <p>
 * In a cluster it also fences: every lease renewal sends it how long the lease is still
 * held, and when that time passes without another renewal (the JVM is frozen, or cannot
 * reach the database) it kills the marked processes, before the database lets the lease
 * expire and another node settles the jobs, and goes on killing them every 0.2 s until
 * the lease is renewed again (a process started just before the JVM froze is caught too).
 * It is not frozen with the JVM: it is a separate process.
 */
@Slf4j
final class CrashGuard {

	private static final String SCRIPT = """
			trap '' INT TERM HUP QUIT
			sweep() {
			  for f in $(grep -lxzF "JOBEXEC_INSTANCE=$1" /proc/[0-9]*/environ 2>/dev/null); do
			    p=${f#/proc/}; p=${p%/environ}
			    kill -KILL -"$p" 2>/dev/null
			    kill -KILL "$p" 2>/dev/null
			  done
			}
			held=
			while :; do
			  if [ -n "$held" ]; then read -r -t "$held" line; else read -r line; fi
			  rc=$?
			  if [ $rc -eq 0 ]; then held=$line; continue; fi
			  if [ $rc -gt 128 ]; then
			    [ "$held" = 0.2 ] || echo "jobexec-guard: lease not renewed in time: killing the jobs" >&2
			    sweep "$1"; held=0.2; continue
			  fi
			  break
			done
			sweep "$1"; sleep 0.2; sweep "$1"
			""";

	private final String instance;

	private Process process;

	private OutputStream lifeline;

	CrashGuard(String instance) {
		this.instance = instance;
	}

	long start() throws IOException {
		// bash, for read -t with a fractional deadline (POSIX sh has no -t).
		ProcessBuilder builder = new ProcessBuilder("/bin/bash", "-c", SCRIPT, "jobexec-guard", instance);
		builder.environment().clear();
		builder.environment().put("PATH", "/usr/bin:/bin");
		builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
		builder.redirectError(ProcessBuilder.Redirect.INHERIT);
		process = builder.start();
		lifeline = process.getOutputStream();
		return process.pid();
	}

	/**
	 * The lease is held for {@code heldFor} more: unless fed again by then, the guard
	 * kills this service's job processes.
	 */
	synchronized void feed(Duration heldFor) {
		if (process == null || !process.isAlive() || heldFor.isNegative() || heldFor.isZero()) {
			return;
		}
		try {
			long millis = heldFor.toMillis();
			lifeline.write(String.format(Locale.ROOT, "%d.%03d%n", millis / 1000, millis % 1000)
				.getBytes(StandardCharsets.US_ASCII));
			lifeline.flush();
		}
		catch (IOException ex) {
			log.warn("Could not feed the crash guard: {}", ex.getMessage());
		}
	}

	boolean isAlive() {
		return process != null && process.isAlive();
	}

	/**
	 * Closes the lifeline: the guard sweeps (finding nothing after a clean stop) and
	 * exits.
	 */
	synchronized void stop() {
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
