package dev.jobexec.api;

import java.util.List;

import dev.jobexec.execution.thread.TaskParameter;
import dev.jobexec.execution.thread.TaskRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import lombok.RequiredArgsConstructor;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The tasks thread jobs can run, with their parameters. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
@RequiredArgsConstructor
@Tag(name = "Pools and tasks", description = "Live pools and the tasks thread jobs can run")
class TaskController {

	private final TaskRegistry tasks;

	@GetMapping("/tasks")
	@Operation(operationId = "listTasks", summary = "List tasks",
			description = "Tasks that thread jobs can run, with their parameters")
	List<TaskView> tasks() {
		return tasks.all()
			.stream()
			.map((task) -> new TaskView(task.name(), task.description(), task.parameters()))
			.toList();
	}

	/** A registered task as clients see it. */
	record TaskView(String name, String description, List<TaskParameter> parameters) {
	}

}
