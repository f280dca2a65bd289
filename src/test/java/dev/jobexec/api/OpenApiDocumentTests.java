package dev.jobexec.api;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.jobexec.support.Api;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

/**
 * {@code docs/openapi.json}, which clients are generated from (GeneratedClientTests) and
 * which the lint checks (OpenApiLintTests), is the document the service serves with the
 * default {@code jobexec.*} settings, so it cannot go stale.
 */
@SpringBootTest(properties = { "jobexec.security.api-keys=" + Api.KEY,
		// A store of its own: the HTTP tests' service may be running on the build's.
		"jobexec.data-dir=target/test-data/openapi-document" })
@AutoConfigureMockMvc
class OpenApiDocumentTests {

	private static final Path COMMITTED = Path.of("docs/openapi.json");

	private static final Path SERVED = Path.of("target/openapi.json");

	private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

	@Autowired
	MockMvc mvc;

	@Test
	void committedDocumentIsTheOneTheServiceServes() throws Exception {
		String body = mvc.perform(get("/v3/api-docs")).andReturn().getResponse().getContentAsString();
		JsonNode served = JSON.readTree(body);
		Files.writeString(SERVED, JSON.writeValueAsString(served) + "\n");
		assertThat(JSON.readTree(Files.readString(COMMITTED)))
			.as("%s differs from the document the service serves: copy %s to it", COMMITTED, SERVED)
			.isEqualTo(served);
	}

}
