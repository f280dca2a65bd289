package dev.jobexec.web;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * API keys, bound from {@code jobexec.security.*}.
 *
 * @param apiKeys keys accepted as {@code Authorization: Bearer <key>} or
 * {@code X-API-Key: <key>}; several may be valid at once, for rotation. None set: one is
 * generated and logged at start.
 */
@ConfigurationProperties("jobexec.security")
record ApiKeyProperties(List<String> apiKeys) {

	ApiKeyProperties {
		apiKeys = (apiKeys != null) ? apiKeys.stream().filter((key) -> key != null && !key.isBlank()).toList()
				: List.of();
		for (String key : apiKeys) {
			if (key.length() < 16) {
				throw new IllegalArgumentException(
						"jobexec.security.api-keys: every key must be at least 16 characters long");
			}
		}
	}

}
