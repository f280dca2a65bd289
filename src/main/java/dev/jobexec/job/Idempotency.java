package dev.jobexec.job;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code Idempotency-Key} of a submission
 * (draft-ietf-httpapi-idempotency-key-header): what a key may be, and the digest of the
 * request that tells a retry from a reuse of the key.
 */
final class Idempotency {

	static final String HEADER = "Idempotency-Key";

	static final int MAX_LENGTH = 255;

	/**
	 * Its own mapper rather than the application's, so that a change to
	 * {@code spring.jackson.*} does not change the digests of keys already stored. Sorted
	 * map entries make {@code {"a":1,"b":2}} and {@code {"b":2,"a":1}} one request.
	 */
	private static final JsonMapper CANONICAL = JsonMapper.builder()
		.enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
		.enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
		.build();

	private Idempotency() {
	}

	/**
	 * The key a header value names, or null for no header. The draft's form, a
	 * structured-field string ({@code "abc"}), and a bare token ({@code abc}) name the
	 * same key.
	 * @throws InvalidJobException (400) unless the key is 1 to 255 printable ASCII
	 * characters
	 */
	static String key(String header) {
		if (header == null) {
			return null;
		}
		String key = (header.length() >= 2 && header.startsWith("\"") && header.endsWith("\"")) ? unquote(header)
				: header;
		if (key.isEmpty() || key.length() > MAX_LENGTH || !key.chars().allMatch((c) -> c >= 0x20 && c <= 0x7e)) {
			throw InvalidJobException.of(HEADER, "must be 1 to " + MAX_LENGTH + " printable ASCII characters");
		}
		return key;
	}

	/** A structured-field string's content: {@code \"} and {@code \\} are its escapes. */
	private static String unquote(String quoted) {
		StringBuilder key = new StringBuilder(quoted.length());
		for (int i = 1; i < quoted.length() - 1; i++) {
			char c = quoted.charAt(i);
			if (c == '\\') {
				char next = (i + 1 < quoted.length() - 1) ? quoted.charAt(++i) : 0;
				if (next != '"' && next != '\\') {
					throw InvalidJobException.of(HEADER,
							"is not a valid structured-field string: only \\\" and " + "\\\\ may follow a backslash");
				}
				c = next;
			}
			else if (c == '"') {
				throw InvalidJobException.of(HEADER,
						"is not a valid structured-field string: a quote inside it " + "must be written \\\"");
			}
			key.append(c);
		}
		return key.toString();
	}

	/**
	 * SHA-256, in hex, of the request as canonical JSON: bodies that differ only in the
	 * order of their fields or in whitespace give the same digest.
	 */
	static String digest(JobRequest request) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(request)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every JDK has SHA-256", ex);
		}
	}

}
