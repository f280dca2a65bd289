package dev.jobexec.execution.process;

import java.util.List;

import dev.jobexec.problem.Problems;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** The command resolves to an executable that the allow-list does not name. */
public class CommandNotAllowedException extends ErrorResponseException {

	public CommandNotAllowedException(String given, String resolved, List<String> rules) {
		super(HttpStatus.FORBIDDEN, problem(given, resolved, rules), null);
	}

	private static ProblemDetail problem(String given, String resolved, List<String> rules) {
		ProblemDetail problem = Problems.problem(HttpStatus.FORBIDDEN, "command-not-allowed", "Command not allowed",
				"'" + given + "' resolves to '" + resolved
						+ "', which matches no rule of jobexec.process.allowed-commands " + rules);
		problem.setProperty("command", resolved);
		problem.setProperty("rule", "jobexec.process.allowed-commands");
		return problem;
	}

}
