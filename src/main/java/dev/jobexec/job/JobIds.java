package dev.jobexec.job;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Makes time-ordered job ids (UUIDv7, RFC 9562) that are also strictly increasing within
 * this process, so that their text sorts in submission order.
 */
final class JobIds {

	private static final SecureRandom RANDOM = new SecureRandom();

	private static long lastMillis;

	private static long sequence;

	private JobIds() {
	}

	static synchronized String next() {
		long millis = System.currentTimeMillis();
		if (millis > lastMillis) {
			lastMillis = millis;
			sequence = RANDOM.nextInt(1 << 10);
		}
		else if (++sequence >= (1 << 12)) {
			// 4096 ids in one millisecond: borrow the next millisecond rather than lose
			// the order.
			lastMillis++;
			sequence = 0;
		}
		long high = (lastMillis << 16) | (0x7L << 12) | sequence;
		long low = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
		return new UUID(high, low).toString();
	}

	static boolean isValid(String id) {
		try {
			return UUID.fromString(id).toString().equals(id);
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

}
