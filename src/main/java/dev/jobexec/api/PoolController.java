package dev.jobexec.api;

import java.util.List;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import lombok.RequiredArgsConstructor;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The pools jobs run in: their configuration and live figures. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
@RequiredArgsConstructor
@Tag(name = "Pools and tasks", description = "Live pools and the tasks thread jobs can run")
class PoolController {

	private final PoolRouter router;

	@GetMapping("/pools")
	@Operation(summary = "List pools", description = "Configuration and live figures of every pool")
	List<PoolSnapshot> pools() {
		return router.snapshots();
	}

	@GetMapping("/pools/{name}")
	@Operation(summary = "Get one pool")
	@ApiResponse(responseCode = "404", description = "No such pool")
	PoolSnapshot pool(@PathVariable String name) {
		return router.pool(name).snapshot();
	}

}
