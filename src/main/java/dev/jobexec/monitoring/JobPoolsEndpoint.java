package dev.jobexec.monitoring;

import java.util.List;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;
import dev.jobexec.execution.process.JobIsolation;
import dev.jobexec.execution.process.ProcessIsolation;
import dev.jobexec.reaper.Reaper;
import dev.jobexec.reaper.ReaperSnapshot;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/jobpools}: the live snapshot of every pool, its queue, and the reaper.
 */
@Component
@Endpoint(id = "jobpools")
class JobPoolsEndpoint {

	private final PoolRouter router;

	private final Reaper reaper;

	private final JobIsolation isolation;

	JobPoolsEndpoint(PoolRouter router, Reaper reaper, JobIsolation isolation) {
		this.router = router;
		this.reaper = reaper;
		this.isolation = isolation;
	}

	@ReadOperation
	JobPools pools() {
		return new JobPools(router.snapshots(), reaper.snapshot(), isolation.snapshot());
	}

	@ReadOperation
	PoolSnapshot pool(@Selector String name) {
		return router.exists(name) ? router.pool(name).snapshot() : null;
	}

	/** Every pool with its queue, the reaper, and what confines job processes. */
	record JobPools(List<PoolSnapshot> pools, ReaperSnapshot reaper, ProcessIsolation isolation) {
	}

}
