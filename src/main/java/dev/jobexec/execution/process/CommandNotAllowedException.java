package dev.jobexec.execution.process;

import java.util.List;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * The command is not an executable the allow-list names; refused before anything is said
 * about it.
 */
public class CommandNotAllowedException extends ErrorResponseException {

	/**
	 * {@code path} is where {@code given} was looked for (the path itself, or where a
	 * bare name was found on the search path), never where it leads: a refusal says
	 * nothing about the file.
	 */
	public CommandNotAllowedException(String given, String path, List<String> rules) {
		super(HttpStatus.FORBIDDEN, problem(given, path, rules), null);
	}

	private static ProblemDetail problem(String given, String path, List<String> rules) {
		ProblemDetail problem = Problems.problem(HttpStatus.FORBIDDEN, "command-not-allowed", "Command not allowed",
				"'" + given + "' is not an executable that jobexec.process.allowed-commands " + rules + " allows");
		problem.setProperty("command", path);
		problem.setProperty("rule", "jobexec.process.allowed-commands");
		return problem;
	}

}
