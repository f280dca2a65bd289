package dev.jobexec.web;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Describes the API for the OpenAPI document and Swagger UI. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

	@Bean
	OpenAPI jobexecOpenApi() {
		return new OpenAPI().info(new Info().title("jobexec")
			.version("v1")
			.description("Runs jobs on request: OS processes in bounded process pools and Java tasks in bounded "
					+ "thread pools, with timeouts that kill whole process groups. Errors are RFC 9457 problems.")
			.license(new License().name("Apache-2.0")));
	}

}
