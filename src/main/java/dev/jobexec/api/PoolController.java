package dev.jobexec.api;

import java.util.List;

import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolSnapshot;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import lombok.RequiredArgsConstructor;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import static dev.jobexec.api.ApiExamples.REF;
import static dev.jobexec.api.OpenApiConfiguration.PROBLEM_JSON;

/** The pools jobs run in: their configuration and live figures. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
@RequiredArgsConstructor
@Tag(name = "Pools and tasks", description = "Live pools and the tasks thread jobs can run")
class PoolController {

	private final PoolRouter router;

	@GetMapping("/pools")
	@Operation(operationId = "listPools", summary = "List pools",
			description = "Configuration and live figures of every pool")
	List<PoolSnapshot> pools() {
		return router.snapshots();
	}

	@GetMapping("/pools/{name}")
	@Operation(operationId = "getPool", summary = "Get one pool",
			description = "Configuration and live figures of one pool")
	@ApiResponse(responseCode = "200", description = "The pool",
			content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
					schema = @Schema(implementation = PoolSnapshot.class),
					examples = @ExampleObject(name = "process-pool", ref = REF + "process-pool")))
	@ApiResponse(responseCode = "404", description = "No such pool",
			content = @Content(mediaType = PROBLEM_JSON, schema = @Schema(implementation = Problem.class),
					examples = @ExampleObject(name = "unknown-pool", ref = REF + "unknown-pool")))
	PoolSnapshot pool(@PathVariable String name) {
		return router.pool(name).snapshot();
	}

}
