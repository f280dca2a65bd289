package dev.jobexec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import net.sourceforge.plantuml.FileFormat;
import net.sourceforge.plantuml.FileFormatOption;
import net.sourceforge.plantuml.SourceStringReader;
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
		assertThat(dependencies("job")).doesNotContain("store", "cluster", "api", "web", "monitoring");
		assertThat(dependencies("cluster")).doesNotContain("store", "api", "web", "monitoring");
		assertThat(dependencies("store")).doesNotContain("api", "web", "monitoring");
	}

	@Test
	void theModuleDiagramInTheDocsIsCurrent() throws IOException {
		Path generated = Path.of("target", "modulith-docs");
		new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(generated.toString()))
			.writeModulesAsPlantUml(
					Documenter.DiagramOptions.defaults().withStyle(Documenter.DiagramOptions.DiagramStyle.UML));
		String source = sorted(Files.readString(generated.resolve("components.puml")));
		Files.writeString(generated.resolve("components.puml"), source);
		String drawn = svg(source);
		Files.writeString(generated.resolve("components.svg"), drawn);
		assertCurrent("components.puml", source);
		assertCurrent("components.svg", drawn);
	}

	private static void assertCurrent(String file, String current) throws IOException {
		Path committed = DOCS.resolve(file);
		assertThat(Files.exists(committed) ? Files.readString(committed) : "")
			.as("%s is out of date: copy target/modulith-docs/%s over it", committed, file)
			.isEqualTo(current);
	}

	/**
	 * The diagram drawn with PlantUML's own layout engine, so that no Graphviz is needed.
	 */
	private static String svg(String plantUml) throws IOException {
		ByteArrayOutputStream svg = new ByteArrayOutputStream();
		new SourceStringReader(plantUml.replace("@startuml", "@startuml\n!pragma layout smetana")).outputImage(svg,
				new FileFormatOption(FileFormat.SVG));
		return svg.toString(StandardCharsets.UTF_8);
	}

	/**
	 * The diagram source with its components and its arrows each in a stable order:
	 * Modulith writes them in the order of hash sets, which changes from run to run.
	 */
	private static String sorted(String plantUml) {
		List<String> lines = new ArrayList<>();
		List<String> run = new ArrayList<>();
		for (String line : plantUml.split("\n", -1)) {
			if (line.trim().startsWith("component ") || line.contains(" --> ")) {
				run.add(line);
				continue;
			}
			run.sort(null);
			lines.addAll(run);
			run.clear();
			lines.add(line);
		}
		run.sort(null);
		lines.addAll(run);
		return String.join("\n", lines);
	}

	private static List<String> dependencies(String module) {
		return MODULES.getModuleByName(module)
			.orElseThrow()
			.getDirectDependencies(MODULES)
			.stream()
			.map((dependency) -> dependency.getTargetModule().getIdentifier().toString())
			.distinct()
			.toList();
	}

}
