package dev.jobexec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The boundaries between jobexec's packages: no cycle between them, and no package
 * reaching into another's internals (a module's API is its top package, plus the
 * sub-packages it names in a {@code package-info}). The module diagram in {@code docs/}
 * is written from the same model, so a change of the architecture that is not drawn fails
 * here too.
 */
class ArchitectureTests {

	private static final ApplicationModules MODULES = ApplicationModules.of(JobexecApplication.class);

	private static final Path DOCS = Path.of("docs", "modules");

	@Test
	void modulesHaveNoCyclesAndUseOnlyEachOthersApi() {
		MODULES.verify();
	}

	@Test
	void dependenciesPointDown() {
		assertThat(dependencies("os")).isEmpty();
		assertThat(dependencies("problem")).isEmpty();
		assertThat(dependencies("reaper")).containsOnly("os");
		assertThat(dependencies("execution")).doesNotContain("job", "store", "api", "web", "monitoring");
		assertThat(dependencies("job")).doesNotContain("store", "api", "web", "monitoring");
		assertThat(dependencies("store")).doesNotContain("api", "web", "monitoring");
	}

	@Test
	void theModuleDiagramInTheDocsIsCurrent() throws IOException {
		Path generated = Path.of("target", "modulith-docs");
		new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(generated.toString()))
			.writeModulesAsPlantUml(
					Documenter.DiagramOptions.defaults().withStyle(Documenter.DiagramOptions.DiagramStyle.UML));
		String current = Files.readString(generated.resolve("components.puml"));
		Path committed = DOCS.resolve("components.puml");
		assertThat(Files.exists(committed) ? Files.readString(committed) : "")
			.as("%s is out of date: copy %s over it", committed, generated.resolve("components.puml"))
			.isEqualTo(current);
	}

	private static java.util.List<String> dependencies(String module) {
		return MODULES.getModuleByName(module)
			.orElseThrow()
			.getDirectDependencies(MODULES)
			.stream()
			.map((dependency) -> dependency.getTargetModule().getIdentifier().toString())
			.distinct()
			.toList();
	}

}
