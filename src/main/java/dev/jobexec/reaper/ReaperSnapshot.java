package dev.jobexec.reaper;

import java.time.Duration;
import java.time.Instant;

/**
 * What the reaper has done and sees: whether it is a child subreaper (and why not), when
 * it last scanned, what it reaped and killed, and the live processes the service is
 * responsible for.
 */
public record ReaperSnapshot(boolean subreaper, String subreaperProblem, boolean crashGuard, Duration interval,
		Instant lastScan, long scans, long zombiesReaped, long orphansKilled, int liveProcesses,
		int orphansTerminating) {

}
