package dev.jobexec.store;

import java.sql.SQLException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a job store that cannot be opened at start: which file or database, why, and
 * what to do about it, instead of a page of stack trace.
 */
class JobStoreFailureAnalyzer extends AbstractFailureAnalyzer<SQLException> {

	/**
	 * H2's codes for a file that is corrupt, of an unknown format, locked, or unreadable.
	 */
	private static final int FILE_CORRUPTED = 90030;

	private static final int FILE_VERSION_ERROR = 90048;

	private static final int DATABASE_ALREADY_OPEN = 90020;

	private static final int IO_EXCEPTION = 90028;

	private static final int IO_EXCEPTION_2 = 90031;

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, SQLException cause) {
		String message = cause.getMessage();
		String store = describeStore(message);
		return switch (cause.getErrorCode()) {
			case FILE_CORRUPTED, FILE_VERSION_ERROR -> new FailureAnalysis(
					"The job store " + store + " is corrupt or not an H2 database this version can read: "
							+ firstLine(message),
					"Restore the file from a backup, or move it aside (for example mv jobexec.mv.db jobexec.mv.db.broken) "
							+ "to start with an empty store; the jobs it held are then lost. To keep the store "
							+ "elsewhere, set jobexec.data-dir.",
					cause);
			case DATABASE_ALREADY_OPEN -> new FailureAnalysis(
					"The job store " + store + " is in use by another process: " + firstLine(message),
					"Stop the other jobexec that uses the same jobexec.data-dir, or give this one its own data-dir.",
					cause);
			case IO_EXCEPTION, IO_EXCEPTION_2 -> new FailureAnalysis(
					"The job store " + store + " cannot be read or written: " + firstLine(message),
					"Check that jobexec.data-dir exists, is writable by the service's user, and that its disk is not full.",
					cause);
			default -> isConnectionFailure(cause) ? new FailureAnalysis(
					"The job store cannot be reached: " + firstLine(message),
					"Check spring.datasource.url, its credentials, and that the database is running and reachable; "
							+ "without spring.datasource.url the store is an H2 file under jobexec.data-dir.",
					cause) : null;
		};
	}

	/**
	 * SQLState class 08: the connection could not be made or was refused (and 28: bad
	 * credentials).
	 */
	private static boolean isConnectionFailure(SQLException cause) {
		String state = cause.getSQLState();
		return state != null && (state.startsWith("08") || state.startsWith("28"));
	}

	private static String describeStore(String message) {
		int mvDb = (message != null) ? message.indexOf(".mv.db") : -1;
		if (mvDb < 0) {
			return "(H2 file under jobexec.data-dir/store)";
		}
		int start = message.lastIndexOf('"', mvDb);
		int alt = message.lastIndexOf(' ', mvDb);
		String file = message.substring(Math.max(start, alt) + 1, mvDb + ".mv.db".length());
		return file.startsWith("retry:") ? file.substring("retry:".length()) : file;
	}

	private static String firstLine(String message) {
		if (message == null) {
			return "";
		}
		int newline = message.indexOf('\n');
		return (newline < 0) ? message : message.substring(0, newline);
	}

}
