package dev.jobexec.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.IntStream;

import dev.jobexec.execution.ExecutionProperties;
import dev.jobexec.execution.JobRunner;
import dev.jobexec.execution.JobRunnerFactory;
import dev.jobexec.execution.PoolRouter;
import dev.jobexec.execution.PoolType;
import dev.jobexec.execution.RunnerFixtures;
import dev.jobexec.execution.UnknownPoolException;
import dev.jobexec.execution.process.CommandNotAllowedException;
import dev.jobexec.execution.process.CommandPolicy;
import dev.jobexec.execution.process.ProcessFixtures;
import dev.jobexec.execution.process.JobIsolation;
import dev.jobexec.execution.process.ProcessProperties;
import dev.jobexec.execution.thread.TaskFixtures;
import dev.jobexec.execution.thread.UnknownTaskException;
import org.assertj.core.api.MapAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.HttpStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a submission is checked against before anything is stored, with the real pools,
 * policies, task registry and the default limits: each problem named by its field, 403
 * for a command off the allow-list, 404 for an unknown pool or task.
 */
class SubmissionValidatorTests {

	@TempDir
	Path dataDir;

	private Path base;

	private final ScheduledExecutorService timer = Executors
		.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("submission-validator-tests-timer").factory());

	/** The service's defaults, bound as the service binds them. */
	private final JobLimits limits = bind("jobexec.limits", JobLimits.class, Map.of());

	private SubmissionValidator validator;

	@BeforeEach
	void createValidator() throws Exception {
		ExecutionProperties properties = new ExecutionProperties(dataDir,
				Map.of("narrow",
						new ExecutionProperties.Pool(PoolType.PROCESS, 1, 1, Duration.ofMinutes(1),
								Duration.ofMinutes(10), null, null, null),
						"reports",
						new ExecutionProperties.Pool(PoolType.THREAD, null, null, null, null, null, null, null)),
				new ExecutionProperties.Shutdown(Duration.ofSeconds(30)));
		PoolRouter router = new PoolRouter(properties,
				List.of(startingNothing(PoolType.PROCESS), startingNothing(PoolType.THREAD)), timer);
		this.base = Files.createDirectories(router.pool("process").config().baseDirectory());
		ProcessProperties process = bind("jobexec.process", ProcessProperties.class,
				Map.of("jobexec.process.allowed-env-overrides", "LD_LIBRARY_PATH"));
		this.validator = new SubmissionValidator(router, TaskFixtures.builtInTasks(),
				ProcessFixtures.commandPolicy(process), ProcessFixtures.environmentPolicy(process), limits,
				JobIsolation.unconfined(process));
	}

	@AfterEach
	void stopTimer() {
		timer.shutdownNow();
	}

	@Nested
	class Accepted {

		@Test
		void aCommandIsResolvedToTheAbsoluteRealPathOfItsExecutable() throws Exception {
			SubmissionValidator.Validated validated = validate(command("sh", "-c", "echo hi"));

			assertThat(Path.of(validated.command().getFirst())).isAbsolute()
				.isEqualTo(Path.of("/bin/sh").toRealPath())
				.isEqualTo(Path.of(validated.command().getFirst()).toRealPath());
			assertThat(validated.command()).endsWith("-c", "echo hi");
			assertThat(validated.pool().name()).isEqualTo("process");
			assertThat(validated.timeout()).isEqualTo(validated.pool().config().defaultTimeout());
			assertThat(validated.workingDirectory()).isNull();
		}

		@Test
		void aWorkingDirectoryInsideTheBaseDirectoryIsResolvedAgainstIt() throws Exception {
			Path reports = Files.createDirectories(base.resolve("reports/daily"));
			Files.createSymbolicLink(base.resolve("today"), reports);

			assertThat(validate(command("/bin/true").workingDirectory("reports/daily")).workingDirectory())
				.isEqualTo(reports);
			assertThat(validate(command("/bin/true").workingDirectory("reports/../reports/daily")).workingDirectory())
				.isEqualTo(reports);
			assertThat(validate(command("/bin/true").workingDirectory("today")).workingDirectory())
				.isEqualTo(base.resolve("today"));
		}

		@Test
		void aTaskWithValidParamsGoesToTheThreadPool() {
			JobRequest request = task("sleep").params(Map.of("duration", "PT1S"))
				.timeout(Duration.ofMinutes(1))
				.build();

			assertThat(SubmissionValidator.poolName(request)).isEqualTo("thread");
			SubmissionValidator.Validated validated = validator.validate(request, "thread");
			assertThat(validated.pool().name()).isEqualTo("thread");
			assertThat(validated.command()).isNull();
			assertThat(validated.timeout()).isEqualTo(Duration.ofMinutes(1));
		}

		@Test
		void aCommandGoesToTheProcessPoolUnlessAPoolIsNamed() {
			assertThat(SubmissionValidator.poolName(command("/bin/true").build())).isEqualTo("process");
			assertThat(SubmissionValidator.poolName(command("/bin/true").pool("narrow").build())).isEqualTo("narrow");
			assertThat(validate(command("/bin/true").pool("narrow")).pool().name()).isEqualTo("narrow");
		}

		@Test
		void valuesAtTheLimitsAreAccepted() {
			Map<String, String> env = new LinkedHashMap<>();
			IntStream.range(0, limits.maxEnvEntries()).forEach((i) -> env.put("VAR_" + i, "x"));
			env.put("VAR_0", "v".repeat(limits.maxEnvValueLength()));
			Map<String, String> labels = new LinkedHashMap<>();
			IntStream.range(0, limits.maxLabels()).forEach((i) -> labels.put("label-" + i, "x"));
			labels.put("k".repeat(limits.maxLabelKeyLength()), "v".repeat(limits.maxLabelValueLength()));
			labels.remove("label-0");
			List<String> argv = new ArrayList<>(Collections.nCopies(limits.maxArguments() - 2, "a"));
			argv.addFirst("/bin/true");
			argv.add("a".repeat(limits.maxArgumentLength()));

			SubmissionValidator.Validated validated = validate(command(argv.toArray(String[]::new)).env(env)
				.labels(labels)
				.stdin("s".repeat((int) limits.maxStdin().toBytes()))
				.timeout(Duration.ofMinutes(10))
				.pool("narrow"));

			assertThat(validated.command()).hasSize(limits.maxArguments());
			assertThat(validated.timeout()).isEqualTo(Duration.ofMinutes(10));
		}

	}

	@Nested
	class CommandOrTask {

		@Test
		void bothCommandAndTaskAreRefused() {
			assertInvalid(command("/bin/true").task("sleep")).containsEntry("command",
					"give exactly one of command or task");
		}

		@Test
		void neitherCommandNorTaskIsRefused() {
			assertInvalid(new Request()).containsOnlyKeys("command");
		}

		@Test
		void aCommandForAThreadPoolIsRefused() {
			assertInvalid(command("/bin/true").pool("reports"))
				.containsExactly(Map.entry("pool", "pool 'reports' runs tasks, not commands"));
		}

		@Test
		void aTaskForAProcessPoolIsRefused() {
			assertInvalid(task("sleep").pool("narrow"))
				.containsExactly(Map.entry("pool", "pool 'narrow' runs commands, not tasks"));
		}

		@Test
		void anUnknownPoolIsNotFound() {
			assertThatExceptionOfType(UnknownPoolException.class)
				.isThrownBy(() -> validator.validate(command("/bin/true").build(), "nowhere"))
				.satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND))
				.satisfies((ex) -> assertThat(ex.getBody().getProperties()).containsEntry("pool", "nowhere"));
		}

	}

	@Nested
	class Command {

		@Test
		void argumentsWithNulBytesAreRefused() {
			assertInvalid(command("/bin/echo", "a\0b"))
				.containsExactly(Map.entry("command", "arguments must not contain NUL bytes"));
			assertInvalid(command("/bin/echo\0")).containsOnlyKeys("command");
		}

		@Test
		void tooManyArgumentsAreRefused() {
			List<String> argv = Collections.nCopies(limits.maxArguments() + 1, "/bin/echo");
			assertInvalid(command(argv.toArray(String[]::new))).hasEntrySatisfying("command",
					(message) -> assertThat(message).contains("jobexec.limits.max-arguments")
						.contains(String.valueOf(limits.maxArguments() + 1)));
		}

		@Test
		void tooLongAnArgumentIsRefused() {
			assertInvalid(command("/bin/echo", "a".repeat(limits.maxArgumentLength() + 1))).hasEntrySatisfying(
					"command", (message) -> assertThat(message).contains("jobexec.limits.max-argument-length"));
		}

		@Test
		void anExecutableThatCannotBeFoundIsRefused() {
			assertInvalid(command("no-such-command-anywhere")).hasEntrySatisfying("command",
					(message) -> assertThat(message).contains("was not found"));
			assertInvalid(command("/usr/bin/no-such-command-anywhere")).hasEntrySatisfying("command",
					(message) -> assertThat(message).contains("does not exist"));
			assertInvalid(command("bin/echo")).hasEntrySatisfying("command",
					(message) -> assertThat(message).contains("must be an absolute path or a bare name"));
		}

		@Test
		void whatIsNotAnExecutableFileIsRefused() throws Exception {
			Path data = Files.writeString(dataDir.resolve("data.txt"), "not a program");
			CommandPolicy policy = ProcessFixtures.commandPolicy(bind("jobexec.process", ProcessProperties.class,
					Map.of("jobexec.process.allowed-commands", dataDir + "/*")));
			assertThatIllegalArgumentException().isThrownBy(() -> policy.resolve(data.toString()))
				.withMessageContaining("is not an executable file");
		}

		@Test
		void whatIsOffTheAllowListIsForbiddenWhetherItExistsOrNot() throws Exception {
			Path data = Files.writeString(dataDir.resolve("data.txt"), "not a program");
			for (String path : List.of(data.toString(), dataDir.resolve("no-such-file").toString(), "/usr/bin",
					"/etc/passwd", "/etc/no-such-file", "/no-such-directory/tool")) {
				assertThatExceptionOfType(CommandNotAllowedException.class).isThrownBy(() -> validate(command(path)))
					.satisfies((ex) -> assertThat(ex.getBody().getDetail()).doesNotContain("exist", "executable file"));
			}
		}

		@Test
		void anExecutableOffTheAllowListIsForbidden() throws Exception {
			Path tool = Files.writeString(dataDir.resolve("tool"), "#!/bin/sh\n");
			assertThat(tool.toFile().setExecutable(true)).isTrue();

			assertThatExceptionOfType(CommandNotAllowedException.class)
				.isThrownBy(() -> validate(command(tool.toString())))
				.satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN))
				.satisfies((ex) -> assertThat(ex.getBody().getProperties()).containsEntry("command",
						tool.toRealPath().toString()));
		}

		@Test
		void aPathThatOnlyPassesThroughAnAllowedDirectoryIsForbidden() throws Exception {
			Path tool = Files.writeString(dataDir.resolve("tool"), "#!/bin/sh\n");
			assertThat(tool.toFile().setExecutable(true)).isTrue();
			Path link = Files.createSymbolicLink(dataDir.resolve("link"), tool);

			assertThatExceptionOfType(CommandNotAllowedException.class)
				.isThrownBy(() -> validate(command("/usr/bin/../.." + link)));
		}

	}

	@Nested
	class Environment {

		@Test
		void invalidNamesAreRefused() {
			assertInvalid(command("/bin/true").env(Map.of("1ST", "x"))).hasEntrySatisfying("env",
					(message) -> assertThat(message).contains("'1ST' is not a valid variable name"));
			assertInvalid(command("/bin/true").env(Map.of("A-B", "x"))).containsOnlyKeys("env");
			assertInvalid(command("/bin/true").env(Map.of("A=B", "x"))).containsOnlyKeys("env");
		}

		@Test
		void variablesThatChangeHowProgramsLoadAreRefusedUnlessAllowedByName() {
			for (String name : List.of("LD_PRELOAD", "BASH_ENV", "GCONV_PATH", "IFS")) {
				assertInvalid(command("/bin/true").env(Map.of(name, "x"))).hasEntrySatisfying("env",
						(message) -> assertThat(message).startsWith(name)
							.contains("jobexec.process.allowed-env-overrides"));
			}
			assertThat(validate(command("/bin/true").env(Map.of("LD_LIBRARY_PATH", "/opt/lib")))).isNotNull();
		}

		@Test
		void variablesJobexecSetsItselfAreRefused() {
			assertInvalid(command("/bin/true").env(Map.of("JOBEXEC_JOB_ID", "x")))
				.containsExactly(Map.entry("env", "JOBEXEC_JOB_ID is set by jobexec itself"));
			assertInvalid(command("/bin/true").env(Map.of("JOBEXEC_INSTANCE", "x"))).containsOnlyKeys("env");
		}

		@Test
		void valuesMustBeShortStringsWithoutNulBytes() {
			assertInvalid(command("/bin/true").env(Map.of("LONG", "v".repeat(limits.maxEnvValueLength() + 1))))
				.hasEntrySatisfying("env",
						(message) -> assertThat(message).contains("jobexec.limits.max-env-value-length"));
			assertInvalid(command("/bin/true").env(Map.of("NUL", "a\0b")))
				.containsExactly(Map.entry("env", "the value of NUL must be a string without NUL bytes"));
			Map<String, String> nullValue = new LinkedHashMap<>();
			nullValue.put("EMPTY", null);
			assertInvalid(command("/bin/true").env(nullValue)).containsOnlyKeys("env");
		}

		@Test
		void tooManyVariablesAreRefused() {
			Map<String, String> env = new LinkedHashMap<>();
			IntStream.rangeClosed(0, limits.maxEnvEntries()).forEach((i) -> env.put("VAR_" + i, "x"));
			assertInvalid(command("/bin/true").env(env)).hasEntrySatisfying("env",
					(message) -> assertThat(message).contains("jobexec.limits.max-env-entries"));
		}

	}

	@Nested
	class Stdin {

		@Test
		void stdinLargerThanTheLimitIsRefused() {
			int max = (int) limits.maxStdin().toBytes();
			assertInvalid(command("/bin/cat").stdin("s".repeat(max + 1))).hasEntrySatisfying("stdin",
					(message) -> assertThat(message).contains("jobexec.limits.max-stdin"));
		}

		@Test
		void stdinIsMeasuredInUtf8Bytes() {
			int max = (int) limits.maxStdin().toBytes();
			String twoBytesEach = "é".repeat(max / 2 + 1);
			assertThat(twoBytesEach.length()).isLessThan(max);
			assertInvalid(command("/bin/cat").stdin(twoBytesEach)).containsOnlyKeys("stdin");
		}

	}

	@Nested
	class WorkingDirectory {

		@Test
		void anAbsoluteDirectoryIsRefused() {
			assertInvalid(command("/bin/true").workingDirectory(base.toString())).containsExactly(
					Map.entry("workingDirectory", "must be relative to the pool's base directory and stay inside it"));
		}

		@Test
		void aDirectoryEscapingTheBaseDirectoryIsRefused() throws Exception {
			Files.createDirectories(base.resolveSibling("narrow"));
			for (String escaping : List.of("..", "../narrow", "a/../../narrow", "../../..")) {
				assertInvalid(command("/bin/true").workingDirectory(escaping)).as(escaping)
					.containsExactly(Map.entry("workingDirectory",
							"must be relative to the pool's base directory and stay inside it"));
			}
		}

		@Test
		void aMissingDirectoryOrAFileIsRefused() throws Exception {
			Files.writeString(base.resolve("file.txt"), "not a directory");
			assertInvalid(command("/bin/true").workingDirectory("missing")).containsExactly(
					Map.entry("workingDirectory", "'missing' is not a directory under the pool's base directory"));
			assertInvalid(command("/bin/true").workingDirectory("file.txt")).containsOnlyKeys("workingDirectory");
		}

		@Test
		void aSymlinkLeadingOutOfTheBaseDirectoryIsRefused() throws Exception {
			Path outside = Files.createDirectories(dataDir.resolve("outside"));
			Files.createSymbolicLink(base.resolve("out"), outside);
			Files.createDirectories(base.resolve("in"));
			Files.createSymbolicLink(base.resolve("in/up"), Path.of("../.."));

			assertInvalid(command("/bin/true").workingDirectory("out"))
				.containsExactly(Map.entry("workingDirectory", "'out' leads outside the pool's base directory"));
			assertInvalid(command("/bin/true").workingDirectory("out/")).containsOnlyKeys("workingDirectory");
			assertInvalid(command("/bin/true").workingDirectory("in/up"))
				.containsExactly(Map.entry("workingDirectory", "'in/up' leads outside the pool's base directory"));
		}

		@Test
		void aPathWithANulByteIsRefused() {
			assertInvalid(command("/bin/true").workingDirectory("a\0b"))
				.containsExactly(Map.entry("workingDirectory", "'a\0b' is not a usable path"));
		}

	}

	@Nested
	class Task {

		@Test
		void anUnknownTaskIsNotFound() {
			assertThatExceptionOfType(UnknownTaskException.class).isThrownBy(() -> validate(task("no-such-task")))
				.satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND))
				.satisfies((ex) -> assertThat(ex.getBody().getProperties()).containsEntry("task", "no-such-task"));
		}

		@Test
		void paramsOfTheWrongTypeOrUnknownAreRefusedByName() {
			assertInvalid(task("sleep").params(Map.of("duration", 5)))
				.containsExactly(Map.entry("params.duration", "must be an ISO-8601 duration such as PT2S, was 5"));
			assertInvalid(task("sleep").params(Map.of("duration", "PT-1S"))).containsOnlyKeys("params.duration");
			assertInvalid(task("sleep").params(Map.of("duration", "soon"))).containsOnlyKeys("params.duration");
			assertInvalid(task("cpu").params(Map.of("cooperative", "yes"))).containsOnlyKeys("params.cooperative");
			assertInvalid(task("echo").params(Map.of("bogus", 1)))
				.containsExactly(Map.entry("params.bogus", "is not a parameter of task 'echo'"));
		}

		@Test
		void processFieldsAreRefusedForATask() {
			assertInvalid(task("echo").stdin("x").env(Map.of("A", "b")).workingDirectory("x")).containsOnlyKeys("stdin",
					"env", "workingDirectory");
		}

		@Test
		void paramsAreRefusedForACommand() {
			assertInvalid(command("/bin/true").params(Map.of("duration", "PT1S")))
				.containsExactly(Map.entry("params", "applies to task jobs only"));
		}

	}

	@Nested
	class Timeout {

		@Test
		void aTimeoutMustBePositive() {
			for (Duration timeout : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
				assertInvalid(command("/bin/true").timeout(timeout)).as(timeout.toString())
					.containsExactly(Map.entry("timeout", "must be a positive ISO-8601 duration such as PT30S"));
			}
		}

		@Test
		void aTimeoutAboveThePoolsMaxTimeoutIsRefused() {
			assertInvalid(command("/bin/true").pool("narrow").timeout(Duration.ofMinutes(10).plusNanos(1)))
				.containsExactly(Map.entry("timeout", "exceeds the max-timeout of pool 'narrow' (PT10M)"));
			assertInvalid(task("sleep").timeout(Duration.ofHours(2))).containsOnlyKeys("timeout");
		}

	}

	@Nested
	class Labels {

		@Test
		void tooManyLabelsAreRefused() {
			Map<String, String> labels = new LinkedHashMap<>();
			IntStream.rangeClosed(0, limits.maxLabels()).forEach((i) -> labels.put("label-" + i, "x"));
			assertInvalid(command("/bin/true").labels(labels)).hasEntrySatisfying("labels",
					(message) -> assertThat(message).contains("jobexec.limits.max-labels"));
		}

		@Test
		void keysMustBeNonBlankWithoutColonsAndValuesStrings() {
			String message = "keys must be non-blank without ':' and values must be strings";
			assertInvalid(command("/bin/true").labels(Map.of("team:name", "x")))
				.containsExactly(Map.entry("labels", message));
			assertInvalid(command("/bin/true").labels(Map.of(" ", "x"))).containsExactly(Map.entry("labels", message));
			Map<String, String> nullValue = new LinkedHashMap<>();
			nullValue.put("team", null);
			assertInvalid(command("/bin/true").labels(nullValue)).containsExactly(Map.entry("labels", message));
		}

		@Test
		void keysAndValuesLongerThanTheLimitsAreRefused() {
			assertInvalid(command("/bin/true").labels(Map.of("k".repeat(limits.maxLabelKeyLength() + 1), "x")))
				.hasEntrySatisfying("labels", (message) -> assertThat(message).contains("jobexec.limits.max-label-"));
			assertInvalid(command("/bin/true").labels(Map.of("team", "v".repeat(limits.maxLabelValueLength() + 1))))
				.containsOnlyKeys("labels");
		}

		@Test
		void labelsWithNulBytesAreRefused() {
			assertInvalid(command("/bin/true").labels(Map.of("te\0am", "x")))
				.containsExactly(Map.entry("labels", "must not contain NUL bytes"));
			assertInvalid(command("/bin/true").labels(Map.of("team", "x\0"))).containsOnlyKeys("labels");
		}

	}

	@Test
	void everyInvalidFieldIsNamedAtOnce() {
		assertInvalid(command("/bin/true").env(Map.of("LD_PRELOAD", "x"))
			.stdin("s".repeat((int) limits.maxStdin().toBytes() + 1))
			.workingDirectory("/")
			.params(Map.of())
			.timeout(Duration.ZERO)
			.labels(Map.of("a:b", "c")))
			.containsOnlyKeys("env", "stdin", "workingDirectory", "params", "timeout", "labels");
	}

	private SubmissionValidator.Validated validate(Request request) {
		JobRequest built = request.build();
		return validator.validate(built, SubmissionValidator.poolName(built));
	}

	/** Asserts that {@code request} is answered 400, and returns its errors by field. */
	private MapAssert<String, String> assertInvalid(Request request) {
		InvalidJobException invalid = catchThrowableOfType(InvalidJobException.class, () -> validate(request));
		assertThat(invalid).as("an InvalidJobException").isNotNull();
		assertThat(invalid.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
		assertThat(invalid.getBody().getProperties()).containsKey("errors");
		@SuppressWarnings("unchecked")
		Map<String, String> errors = (Map<String, String>) invalid.getBody().getProperties().get("errors");
		return assertThat(errors);
	}

	private static Request command(String... argv) {
		return new Request().command(List.of(argv));
	}

	private static Request task(String name) {
		return new Request().task(name);
	}

	private static <T> T bind(String prefix, Class<T> type, Map<String, String> properties) {
		return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate(prefix, type);
	}

	private static JobRunnerFactory startingNothing(PoolType type) {
		JobRunner runner = (spec, startedAt, listener) -> {
			throw new AssertionError("checking a submission starts nothing");
		};
		return RunnerFixtures.factory(type, runner);
	}

	/** A {@link JobRequest} built field by field. */
	private static final class Request {

		private String pool;

		private List<String> command;

		private String task;

		private Map<String, Object> params;

		private String stdin;

		private Map<String, String> env;

		private String workingDirectory;

		private Duration timeout;

		private Map<String, String> labels;

		Request pool(String pool) {
			this.pool = pool;
			return this;
		}

		Request command(List<String> command) {
			this.command = command;
			return this;
		}

		Request task(String task) {
			this.task = task;
			return this;
		}

		Request params(Map<String, Object> params) {
			this.params = params;
			return this;
		}

		Request stdin(String stdin) {
			this.stdin = stdin;
			return this;
		}

		Request env(Map<String, String> env) {
			this.env = env;
			return this;
		}

		Request workingDirectory(String workingDirectory) {
			this.workingDirectory = workingDirectory;
			return this;
		}

		Request timeout(Duration timeout) {
			this.timeout = timeout;
			return this;
		}

		Request labels(Map<String, String> labels) {
			this.labels = labels;
			return this;
		}

		JobRequest build() {
			return new JobRequest(pool, command, task, params, stdin, env, workingDirectory, timeout, null, labels);
		}

	}

}
