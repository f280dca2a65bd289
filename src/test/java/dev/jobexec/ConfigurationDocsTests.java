package dev.jobexec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The properties classes are the one home of jobexec's settings: every {@code jobexec.*}
 * property in the metadata that the build generates from them has a description (its
 * javadoc line) and a row in the README's configuration table.
 */
class ConfigurationDocsTests {

	/**
	 * A backticked name in the first cell of a table row: a full name, or {@code .rest}
	 * of the one before it.
	 */
	private static final Pattern NAME = Pattern.compile("`([a-z.<>-]+)`");

	@Test
	void everyPropertyHasADescription() throws IOException {
		assertThat(properties()).allSatisfy(
				(property) -> assertThat((String) property.get("description")).as("javadoc of %s", property.get("name"))
					.isNotBlank());
	}

	@Test
	void everyPropertyIsInTheReadmeTable() throws IOException {
		Set<String> documented = documented(Files.readString(Path.of("README.md"))).keySet();
		List<String> names = properties().stream().map((property) -> (String) property.get("name")).toList();
		assertThat(names).isNotEmpty()
			.allSatisfy((name) -> assertThat(documented).as("README.md's configuration table documents %s", name)
				.anySatisfy((row) -> assertThat(row.equals(name) || row.startsWith(name + ".")).isTrue()));
	}

	@Test
	void theReadmeStatesEachDefaultThePropertiesClassesHave() throws IOException {
		Map<String, String> defaults = documented(Files.readString(Path.of("README.md")));
		for (Map<String, Object> property : properties()) {
			String name = (String) property.get("name");
			Object value = property.get("defaultValue");
			for (String expected : values(value)) {
				assertThat(defaults.get(name)).as("the default of %s in README.md's configuration table", name)
					.contains(String.valueOf(expected));
			}
		}
	}

	/**
	 * A default as the metadata writes it: a list default is one string, {@code [a, b]}.
	 */
	private static List<String> values(Object defaultValue) {
		if (defaultValue == null) {
			return List.of();
		}
		String text = String.valueOf(defaultValue);
		if (text.startsWith("[") && text.endsWith("]")) {
			return (text.length() == 2) ? List.of() : List.of(text.substring(1, text.length() - 1).split(", "));
		}
		return List.of(text);
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> properties() throws IOException {
		try (InputStream metadata = ConfigurationDocsTests.class
			.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			assertThat(metadata).as("the configuration metadata the build generates").isNotNull();
			Map<String, Object> json = JsonMapper.builder().build().readValue(metadata, Map.class);
			return ((List<Map<String, Object>>) json.get("properties")).stream()
				.filter((property) -> ((String) property.get("name")).startsWith("jobexec."))
				.toList();
		}
	}

	/**
	 * The property names in the first cell of each table row, each with the row's last
	 * cell (the default): {@code `a.b.c`, `.d`} names {@code a.b.c} and {@code a.b.d};
	 * {@code <name>} stands for any pool.
	 */
	private static Map<String, String> documented(String readme) {
		Map<String, String> names = new LinkedHashMap<>();
		for (String line : readme.lines().filter((line) -> line.startsWith("| `jobexec.")).toList()) {
			String[] cells = line.split("\\|");
			Matcher matcher = NAME.matcher(cells[1]);
			String parent = null;
			while (matcher.find()) {
				String name = matcher.group(1);
				if (name.startsWith(".") && parent != null) {
					name = parent + name;
				}
				else {
					parent = name.substring(0, name.lastIndexOf('.'));
				}
				names.put(name.replace(".<name>", ""), cells[cells.length - 1].trim());
			}
		}
		return names;
	}

}
