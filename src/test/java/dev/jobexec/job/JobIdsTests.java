package dev.jobexec.job;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JobIdsTests {

	@Test
	void idsAreVersion7UuidsThatSortInTheOrderTheyWereMade() {
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 20_000; i++) {
			ids.add(JobIds.next());
		}
		assertThat(ids).isSorted().doesNotHaveDuplicates();
		UUID uuid = UUID.fromString(ids.get(0));
		assertThat(uuid.version()).isEqualTo(7);
		assertThat(uuid.variant()).isEqualTo(2);
		assertThat(uuid.getMostSignificantBits() >>> 16).isCloseTo(System.currentTimeMillis(),
				org.assertj.core.data.Offset.offset(60_000L));
	}

	@Test
	void onlyCanonicalUuidsAreValidCursors() {
		assertThat(JobIds.isValid(JobIds.next())).isTrue();
		assertThat(JobIds.isValid("xyz")).isFalse();
		assertThat(JobIds.isValid("1-1-1-1-1")).isFalse();
	}

}
