package dev.jobexec.job;

/**
 * A job was not stored because another job holds its {@code Idempotency-Key}: a
 * concurrent submission with the same key was stored first. The store itself works.
 */
public class IdempotencyKeyTakenException extends RuntimeException {

	public IdempotencyKeyTakenException(String key, Throwable cause) {
		super("another job holds the Idempotency-Key '" + key + "'", cause);
	}

}
