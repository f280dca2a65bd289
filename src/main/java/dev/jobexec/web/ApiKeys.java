package dev.jobexec.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import lombok.extern.slf4j.Slf4j;

/**
 * The keys the API accepts, kept only as SHA-256 digests and compared in constant time:
 * every key is compared, whichever matches, so the time taken says nothing about the
 * keys.
 */
@Slf4j
final class ApiKeys {

	private final List<byte[]> digests;

	ApiKeys(ApiKeyProperties properties) {
		List<String> keys = properties.apiKeys();
		if (keys.isEmpty()) {
			byte[] random = new byte[32];
			new SecureRandom().nextBytes(random);
			String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
			keys = List.of(generated);
			log.warn("""

					Using generated API key: {}

					Give it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'. It changes at every start: \
					set jobexec.security.api-keys for a stable one.
					""", generated);
		}
		this.digests = keys.stream().map(ApiKeys::digest).toList();
	}

	/** The position of the matching key (for logs, never the key itself), or -1. */
	int match(String presented) {
		byte[] digest = digest(presented);
		int match = -1;
		for (int i = 0; i < digests.size(); i++) {
			if (MessageDigest.isEqual(digests.get(i), digest)) {
				match = i;
			}
		}
		return match;
	}

	private static byte[] digest(String key) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
