package dev.jobexec.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.jobexec.job.JobLimits;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.JsonSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import org.springdoc.core.customizers.OpenApiCustomizer;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Describes the API for the OpenAPI document and Swagger UI. The limits of a submission
 * are written from the {@link JobLimits} in force, so the document tells the truth when
 * {@code jobexec.limits.*} are configured; the committed {@code docs/openapi.json} shows
 * the defaults.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

	static final String PROBLEM_JSON = "application/problem+json";

	private static final String PROBLEM_REF = "#/components/schemas/Problem";

	@Bean
	OpenAPI jobexecOpenApi() {
		return new OpenAPI()
			.components(new Components()
				.addSecuritySchemes("bearer",
						new SecurityScheme().type(SecurityScheme.Type.HTTP)
							.scheme("bearer")
							.description("Authorization: Bearer <API key>"))
				.addSecuritySchemes("apiKey",
						new SecurityScheme().type(SecurityScheme.Type.APIKEY)
							.in(SecurityScheme.In.HEADER)
							.name("X-API-Key")
							.description("X-API-Key: <API key>"))
				.examples(ApiExamples.all())
				.addResponses("Unauthorized", unauthorized()))
			.addSecurityItem(new SecurityRequirement().addList("bearer"))
			.addSecurityItem(new SecurityRequirement().addList("apiKey"))
			// Relative, so that Swagger UI calls the host that served it, and the
			// document
			// is the same wherever the service runs.
			.servers(List.of(new Server().url("/").description("The service that serves this document")))
			.info(new Info().title("jobexec")
				.version("v1")
				.description("Runs jobs on request: OS processes in bounded process pools and Java tasks in bounded "
						+ "thread pools, with timeouts that kill whole process groups. Errors are RFC 9457 problems. "
						+ "Every call needs an API key: press Authorize and give it as a bearer token or as X-API-Key.")
				.contact(new Contact().name("jobexec").url("https://jobexec.dev"))
				.license(new License().name("Apache License 2.0").identifier("Apache-2.0")));
	}

	/**
	 * Documents the 401 on every operation (the security filter answers it, not a
	 * controller), and the limits and required fields that annotations cannot know.
	 */
	@Bean
	OpenApiCustomizer jobexecOpenApiCustomizer(JobLimits limits) {
		return (openApi) -> {
			openApi.getPaths()
				.values()
				.forEach((path) -> path.readOperations()
					.forEach((operation) -> operation.getResponses()
						.addApiResponse("401", new ApiResponse().$ref("Unauthorized"))));
			Map<String, Schema> schemas = openApi.getComponents().getSchemas();
			describeLimits(schemas.get("JobRequest"), limits);
			((Schema<?>) schemas.get("BatchRequest").getProperties().get("jobs")).maxItems(limits.maxBatchSize());
			require(schemas.get("PoolSnapshot"), "name", "type", "maxConcurrency", "queueCapacity", "active", "queued",
					"completed", "rejected", "stuckThreads", "defaultTimeout", "maxTimeout", "killGrace", "accepting");
			require(schemas.get("TaskView"), "name", "description", "parameters");
			require(schemas.get("TaskParameter"), "name", "type", "required");
			require(schemas.get("Output"), "bytes", "truncated");
			require(schemas.get("JobPage"), "items");
		};
	}

	/**
	 * The limits of {@code jobexec.limits.*} on a submission; and its collections may be
	 * null, which the service takes as absent: generated clients then leave an unset
	 * collection out instead of sending an empty one, which the service refuses for the
	 * other kind of job.
	 */
	@SuppressWarnings("unchecked")
	private static void describeLimits(Schema<?> request, JobLimits limits) {
		Map<String, Schema> properties = request.getProperties();
		Schema<?> command = properties.get("command");
		command.maxItems(limits.maxArguments()).getItems().maxLength(limits.maxArgumentLength());
		properties.get("env")
			.maxProperties(limits.maxEnvEntries())
			.additionalProperties(new StringSchema().maxLength(limits.maxEnvValueLength()));
		Schema<?> labels = properties.get("labels");
		labels.maxProperties(limits.maxLabels())
			.additionalProperties(new StringSchema().maxLength(limits.maxLabelValueLength()))
			.propertyNames(new StringSchema().minLength(1).maxLength(limits.maxLabelKeyLength()).pattern("^[^:]*$"));
		properties.get("stdin")
			.description("Text written to the process's standard input; at most " + limits.maxStdin().toBytes()
					+ " bytes in UTF-8");
		for (String collection : List.of("command", "params", "env", "labels")) {
			properties.put(collection, orNull(properties.get(collection)));
		}
	}

	/**
	 * {@code anyOf: [schema, null]}: the form openapi-generator reads as nullable for
	 * maps as well as arrays ({@code type: [object, "null"]} it reads for arrays only).
	 */
	@SuppressWarnings({ "rawtypes", "unchecked" })
	private static Schema orNull(Schema schema) {
		Schema nullable = new JsonSchema().description(schema.getDescription());
		nullable.setExample(schema.getExample());
		schema.setDescription(null);
		schema.setExample(null);
		schema.setExampleSetFlag(false);
		return nullable.anyOf(List.of(schema, new JsonSchema().types(Set.of("null"))));
	}

	private static void require(Schema<?> schema, String... properties) {
		for (String property : properties) {
			schema.addRequiredItem(property);
		}
	}

	private static ApiResponse unauthorized() {
		return new ApiResponse().description("No API key, or one that is not valid")
			.addHeaderObject("WWW-Authenticate",
					new Header().description("`Bearer realm=\"jobexec\"`").schema(new StringSchema()))
			.content(new Content().addMediaType(PROBLEM_JSON, new MediaType().schema(new Schema<>().$ref(PROBLEM_REF))
				.addExamples("unauthorized", new Example().$ref(ApiExamples.REF + "unauthorized"))));
	}

}
