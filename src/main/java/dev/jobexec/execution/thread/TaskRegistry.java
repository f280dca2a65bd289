package dev.jobexec.execution.thread;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.springframework.stereotype.Component;

/**
 * The registered {@link JobTask} beans, by name, and the checking of their parameters.
 */
@Component
public class TaskRegistry {

	private final Map<String, JobTask> tasks;

	TaskRegistry(List<JobTask> tasks) {
		this.tasks = tasks.stream().collect(Collectors.toMap(JobTask::name, Function.identity(), (a, b) -> {
			throw new IllegalStateException("two tasks are named '" + a.name() + "'");
		}, TreeMap::new));
	}

	public Collection<JobTask> all() {
		return tasks.values();
	}

	/**
	 * @throws UnknownTaskException when no task has that name
	 */
	public JobTask task(String name) {
		JobTask task = tasks.get(name);
		if (task == null) {
			throw new UnknownTaskException(name, tasks.keySet());
		}
		return task;
	}

	/**
	 * Problems with {@code params} for {@code task}, by parameter name; empty when they
	 * are valid.
	 */
	public Map<String, String> validate(String task, Map<String, Object> params) {
		Map<String, String> errors = new LinkedHashMap<>();
		convert(task(task), params, errors);
		return errors;
	}

	Map<String, Object> convert(JobTask task, Map<String, Object> params, Map<String, String> errors) {
		Map<String, Object> given = (params != null) ? params : Map.of();
		Map<String, Object> converted = new LinkedHashMap<>();
		for (TaskParameter parameter : task.parameters()) {
			Object value = given.get(parameter.name());
			if (value == null) {
				if (parameter.required()) {
					errors.put("params." + parameter.name(), "is required");
				}
				else if (parameter.defaultValue() != null) {
					converted.put(parameter.name(), parameter.type().convert(parameter.defaultValue()));
				}
				continue;
			}
			try {
				converted.put(parameter.name(), parameter.type().convert(value));
			}
			catch (IllegalArgumentException ex) {
				errors.put("params." + parameter.name(), ex.getMessage());
			}
		}
		for (String name : given.keySet()) {
			if (task.parameters().stream().noneMatch((parameter) -> parameter.name().equals(name))) {
				errors.put("params." + name, "is not a parameter of task '" + task.name() + "'");
			}
		}
		return converted;
	}

}
