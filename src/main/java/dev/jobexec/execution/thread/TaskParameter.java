package dev.jobexec.execution.thread;

import java.time.Duration;
import java.time.format.DateTimeParseException;

/** One parameter a task accepts, with its type and its default. */
public record TaskParameter(String name, Type type, boolean required, String description, Object defaultValue) {

	public static TaskParameter optional(String name, Type type, String description, Object defaultValue) {
		return new TaskParameter(name, type, false, description, defaultValue);
	}

	/** The JSON types a parameter may take; {@code DURATION} is an ISO-8601 string. */
	public enum Type {

		STRING, INTEGER, NUMBER, BOOLEAN, DURATION, ANY;

		/** Converts a JSON value to this type, or explains why it cannot. */
		Object convert(Object value) {
			return switch (this) {
				case ANY -> value;
				case STRING -> expect(value instanceof String, value, "a string");
				case BOOLEAN -> expect(value instanceof Boolean, value, "true or false");
				case INTEGER -> {
					expect(value instanceof Integer || value instanceof Long, value, "an integer");
					yield ((Number) value).longValue();
				}
				case NUMBER -> {
					expect(value instanceof Number, value, "a number");
					yield ((Number) value).doubleValue();
				}
				case DURATION -> {
					expect(value instanceof String, value, "an ISO-8601 duration such as PT2S");
					try {
						Duration duration = Duration.parse((String) value);
						expect(!duration.isNegative(), value, "a duration that is not negative");
						yield duration;
					}
					catch (DateTimeParseException ex) {
						throw new IllegalArgumentException(
								"must be an ISO-8601 duration such as PT2S, was '" + value + "'");
					}
				}
			};
		}

		private static Object expect(boolean condition, Object value, String what) {
			if (!condition) {
				throw new IllegalArgumentException("must be " + what + ", was " + describe(value));
			}
			return value;
		}

		private static String describe(Object value) {
			return (value == null) ? "null" : (value instanceof String) ? "'" + value + "'" : value.toString();
		}

	}

}
