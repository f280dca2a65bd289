package dev.jobexec.execution.thread;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.jobexec.execution.thread.TaskParameter.Type;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The tasks every jobexec has: {@code sleep}, {@code echo}, {@code fail} and {@code cpu}.
 */
@Configuration(proxyBeanMethods = false)
class BuiltInTasks {

	@Bean
	JobTask sleepTask() {
		return new SimpleTask("sleep", "Sleeps for a duration, then returns it; stops at once when interrupted.",
				List.of(TaskParameter.optional("duration", Type.DURATION, "how long to sleep", "PT1S")), (context) -> {
					Duration duration = context.duration("duration");
					Thread.sleep(duration);
					return Map.of("slept", duration.toString());
				});
	}

	@Bean
	JobTask echoTask() {
		return new SimpleTask("echo", "Returns its message parameter as the job's result.",
				List.of(TaskParameter.optional("message", Type.ANY, "any JSON value to return", "")),
				(context) -> context.get("message"));
	}

	@Bean
	JobTask failTask() {
		return new SimpleTask("fail", "Fails at once with the given message, to show how failures are recorded.",
				List.of(TaskParameter.optional("message", Type.STRING, "the error message", "failed as asked")),
				(context) -> {
					throw new TaskFailedException(context.string("message"));
				});
	}

	@Bean
	JobTask cpuTask() {
		return new SimpleTask("cpu",
				"Keeps one core busy for a duration. With cooperative=false it ignores interruption, like a "
						+ "task stuck in a loop, and is declared stuck when it outlives its kill-grace.",
				List.of(TaskParameter.optional("duration", Type.DURATION, "how long to spin", "PT1S"),
						TaskParameter.optional("cooperative", Type.BOOLEAN,
								"whether the loop stops when its thread is interrupted", true)),
				(context) -> {
					long end = System.nanoTime() + context.duration("duration").toNanos();
					boolean cooperative = context.flag("cooperative");
					long iterations = 0;
					double sink = 0;
					while (System.nanoTime() < end) {
						for (int i = 0; i < 10_000; i++) {
							sink += Math.sqrt(i + iterations);
						}
						iterations++;
						if (cooperative && Thread.currentThread().isInterrupted()) {
							throw new InterruptedException("cpu task interrupted");
						}
					}
					return Map.of("iterations", iterations, "checksum", (long) sink);
				});
	}

	/** A task defined by its name, description, parameters and body. */
	record SimpleTask(String name, String description, List<TaskParameter> parameters, Body body) implements JobTask {

		@Override
		public Object run(TaskContext context) throws Exception {
			return body.run(context);
		}

	}

	@FunctionalInterface
	interface Body {

		Object run(TaskContext context) throws Exception;

	}

	/** The failure the {@code fail} task raises; its message is the job's error. */
	static class TaskFailedException extends Exception {

		TaskFailedException(String message) {
			super(message);
		}

	}

}
