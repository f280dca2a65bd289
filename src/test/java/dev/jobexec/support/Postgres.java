package dev.jobexec.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL server for the store tests: {@code .ci/run} starts Debian's
 * PostgreSQL and sets {@code JOBEXEC_TEST_POSTGRES_URL} and
 * {@code JOBEXEC_REQUIRE_POSTGRES=true}, so that in CI a missing server fails the build
 * instead of skipping the tests. Each caller gets a schema of its own.
 */
public final class Postgres {

	public static final String URL = env("JOBEXEC_TEST_POSTGRES_URL", "jdbc:postgresql://localhost:5432/jobexec");

	public static final String USER = env("JOBEXEC_TEST_POSTGRES_USER", "jobexec");

	public static final String PASSWORD = env("JOBEXEC_TEST_POSTGRES_PASSWORD", "jobexec");

	private Postgres() {
	}

	/**
	 * Creates a fresh schema and returns a JDBC URL that uses it; skips the test (or
	 * fails it, when PostgreSQL is required) if no server answers.
	 */
	public static String freshSchemaUrl() {
		String schema = "jobexec_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
				Statement statement = connection.createStatement()) {
			statement.execute("create schema " + schema);
		}
		catch (SQLException ex) {
			String reason = "no PostgreSQL at " + URL + " for user " + USER + ": " + ex.getMessage();
			if (Boolean.parseBoolean(System.getenv("JOBEXEC_REQUIRE_POSTGRES"))) {
				throw new IllegalStateException(reason + " (JOBEXEC_REQUIRE_POSTGRES is set)", ex);
			}
			Assumptions.abort(reason + "; start one as .ci/run does to run these tests");
		}
		return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
	}

	public static void execute(String sql) {
		try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(sql, ex);
		}
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

}
