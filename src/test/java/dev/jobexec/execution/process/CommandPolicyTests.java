package dev.jobexec.execution.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CommandPolicyTests {

	@TempDir
	Path dir;

	private CommandPolicy policy(String... rules) {
		return new CommandPolicy(
				new ProcessProperties(List.of(rules), DataSize.ofMegabytes(1), DataSize.ofMegabytes(64),
						"/usr/bin:/bin", List.of(), new ProcessProperties.Limits(null, null, null, null, true), null,
						Path.of("/usr/bin/prlimit"), Path.of("/usr/bin/setpriv"), null, Duration.ZERO));
	}

	@Test
	void resolvesBareNamesOnThePathToRealPaths() throws Exception {
		assertThat(policy("/usr/bin/*").resolve("echo")).isEqualTo(Path.of("/usr/bin/echo").toRealPath());
	}

	@Test
	void matchesRulesAgainstTheRealPath() throws Exception {
		Path allowed = Files.createDirectories(dir.resolve("allowed"));
		Path tool = Files.createFile(dir.resolve("tool"));
		tool.toFile().setExecutable(true);
		Path link = Files.createSymbolicLink(allowed.resolve("tool"), tool);
		CommandPolicy policy = policy(allowed + "/*");
		assertThatExceptionOfType(CommandNotAllowedException.class).isThrownBy(() -> policy.resolve(link.toString()));
		assertThatExceptionOfType(CommandNotAllowedException.class)
			.isThrownBy(() -> policy.resolve(allowed + "/../tool"));
		assertThat(policy(dir + "/tool").resolve(link.toString())).isEqualTo(tool.toRealPath());
	}

	@Test
	void refusesWhatIsNotAnExecutableFile() throws Exception {
		Path data = Files.createFile(dir.resolve("data.txt"));
		CommandPolicy policy = policy(dir + "/*");
		assertThatIllegalArgumentException().isThrownBy(() -> policy.resolve(data.toString()))
			.withMessageContaining("not an executable");
		assertThatIllegalArgumentException().isThrownBy(() -> policy.resolve("no-such-command-anywhere"))
			.withMessageContaining("not found");
		assertThatIllegalArgumentException().isThrownBy(() -> policy.resolve("relative/path"));
	}

	@Test
	void refusesWhatIsOffTheAllowListBeforeLookingAtIt() throws Exception {
		Path data = Files.createFile(dir.resolve("data.txt"));
		CommandPolicy policy = policy("/usr/bin/*");
		for (Path path : List.of(data, dir.resolve("no-such-file"), dir.resolve("no-such-dir/tool"), dir)) {
			assertThatExceptionOfType(CommandNotAllowedException.class)
				.isThrownBy(() -> policy.resolve(path.toString()))
				.satisfies((ex) -> assertThat(ex.getBody().getDetail()).doesNotContain("exist", "executable file")
					.contains("'" + path + "'"));
		}
		assertThatIllegalArgumentException().isThrownBy(() -> policy.resolve("/usr/bin/no-such-command-anywhere"))
			.withMessageContaining("does not exist");
	}

	@Test
	void rulesMustBeAbsolute() {
		assertThatIllegalArgumentException().isThrownBy(() -> policy("bin/*"));
	}

}
