package dev.jobexec.monitoring;

import java.util.List;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.stereotype.Component;

/** {@code /actuator/jobpools}: the live snapshot of every pool and its queue. */
@Component
@Endpoint(id = "jobpools")
class JobPoolsEndpoint {

	private final PoolRouter router;

	JobPoolsEndpoint(PoolRouter router) {
		this.router = router;
	}

	@ReadOperation
	JobPools pools() {
		return new JobPools(router.snapshots(), router.liveProcesses());
	}

	@ReadOperation
	PoolSnapshot pool(@Selector String name) {
		return router.exists(name) ? router.pool(name).snapshot() : null;
	}

	/** Every pool, and the live job processes across them. */
	record JobPools(List<PoolSnapshot> pools, int liveProcesses) {
	}

}
