package dev.jobexec.cluster;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import dev.jobexec.job.ClaimTrigger;
import dev.jobexec.job.JobService;
import dev.jobexec.job.JobStore;
import lombok.extern.slf4j.Slf4j;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.context.SmartLifecycle;

/**
 * Listens, on one connection of its own, for what other nodes tell this one through
 * PostgreSQL's LISTEN/NOTIFY: a pool has queued jobs (claim now, rather than at the next
 * poll), or a client asked to cancel a job this node holds. Notifications are hints: a
 * missed one is made up for by the heartbeat's poll.
 */
@Slf4j
class ClusterNotifications implements SmartLifecycle {

	private static final Duration RECONNECT = Duration.ofSeconds(1);

	private final DataSource dataSource;

	private final JobService jobs;

	private final NodeCounters counters;

	private final boolean enabled;

	private volatile boolean running;

	private Thread thread;

	ClusterNotifications(DataSource dataSource, JobService jobs, NodeCounters counters, boolean enabled) {
		this.dataSource = dataSource;
		this.jobs = jobs;
		this.counters = counters;
		this.enabled = enabled;
	}

	@Override
	public void start() {
		running = true;
		if (enabled) {
			thread = Thread.ofPlatform().name("jobexec-listen").daemon(true).start(this::listen);
		}
	}

	@Override
	public void stop() {
		running = false;
		if (thread != null) {
			try {
				thread.join(Duration.ofSeconds(2));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	@Override
	public int getPhase() {
		// Next to the job service (started just before it, stopped just after it): what
		// arrives before its claims run, or after they stopped, is ignored by them.
		return Integer.MAX_VALUE - 3;
	}

	private void listen() {
		while (running) {
			try (Connection connection = dataSource.getConnection()) {
				try (Statement statement = connection.createStatement()) {
					statement.execute("listen " + JobStore.QUEUED_CHANNEL);
					statement.execute("listen " + JobStore.CANCEL_CHANNEL);
				}
				PGConnection pg = connection.unwrap(PGConnection.class);
				while (running) {
					PGNotification[] received = pg.getNotifications(500);
					if (received != null) {
						for (PGNotification notification : received) {
							deliver(notification);
						}
					}
				}
			}
			catch (SQLException | RuntimeException ex) {
				if (running) {
					log.warn("Listening for cluster notifications failed ({}); polling covers until it is back",
							ex.getMessage());
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RECONNECT.toMillis()));
				}
			}
		}
	}

	private void deliver(PGNotification notification) {
		switch (notification.getName()) {
			case JobStore.QUEUED_CHANNEL -> {
				counters.notified();
				jobs.queued(notification.getParameter(), ClaimTrigger.NOTIFICATION);
			}
			case JobStore.CANCEL_CHANNEL -> jobs.cancelRequested(List.of(notification.getParameter()));
			default -> log.debug("Ignored a notification on {}", notification.getName());
		}
	}

}
