package dev.jobexec.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Describes the API for the OpenAPI document and Swagger UI. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

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
							.description("X-API-Key: <API key>")))
			.addSecurityItem(new SecurityRequirement().addList("bearer"))
			.addSecurityItem(new SecurityRequirement().addList("apiKey"))
			.info(new Info().title("jobexec")
				.version("v1")
				.description("Runs jobs on request: OS processes in bounded process pools and Java tasks in bounded "
						+ "thread pools, with timeouts that kill whole process groups. Errors are RFC 9457 problems. "
						+ "Every call needs an API key: press Authorize and give it as a bearer token or as X-API-Key.")
				.license(new License().name("Apache-2.0")));
	}

}
