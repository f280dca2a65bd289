package dev.jobexec.store;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import lombok.extern.slf4j.Slf4j;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * How much room the embedded store takes and how much it writes, as H2's MVStore and the
 * store's journal report it: the file's size, the live data in it, the journal's size,
 * and the bytes written to both since the service opened them. Write and space
 * amplification show as written bytes per job and as file size against live size. Empty
 * for PostgreSQL, whose files and WAL the server keeps. Read at most every few seconds,
 * however often meters and health ask.
 */
@Slf4j
public class StoreFootprint {

	private static final Duration FRESH = Duration.ofSeconds(5);

	private final JdbcClient jdbc;

	private final boolean embedded;

	private final StoreJournal journal;

	private volatile Footprint last;

	private volatile long readAt;

	StoreFootprint(JdbcClient jdbc, boolean embedded, StoreJournal journal) {
		this.jdbc = jdbc;
		this.embedded = embedded;
		this.journal = journal;
	}

	/**
	 * The footprint now, or empty when the store is not the embedded one (or unreadable).
	 */
	public Optional<Footprint> now() {
		if (!embedded) {
			return Optional.empty();
		}
		long at = System.nanoTime();
		Footprint cached = last;
		if (cached != null && at - readAt < FRESH.toNanos()) {
			return Optional.of(cached);
		}
		try {
			Map<String, String> info = jdbc
				.sql("select setting_name, setting_value from information_schema.settings where setting_name in "
						+ "('info.FILE_SIZE', 'info.FILL_RATE', 'info.CHUNKS_FILL_RATE', 'info.FILE_WRITE_BYTES')")
				.query((rs, n) -> Map.entry(rs.getString(1), rs.getString(2)))
				.list()
				.stream()
				.collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
			long file = Long.parseLong(info.get("info.FILE_SIZE"));
			// FILL_RATE: the share of the file that chunks use; CHUNKS_FILL_RATE: the
			// share
			// of the chunks that is live.
			long live = file * Long.parseLong(info.get("info.FILL_RATE"))
					* Long.parseLong(info.get("info.CHUNKS_FILL_RATE")) / 10_000;
			long journalSize = (journal != null) ? journal.sizeOnDisk() : 0;
			long journalWritten = (journal != null) ? journal.appendedBytes() : 0;
			last = new Footprint(file, live, journalSize,
					Long.parseLong(info.get("info.FILE_WRITE_BYTES")) + journalWritten);
			readAt = at;
			return Optional.of(last);
		}
		catch (RuntimeException ex) {
			log.debug("Could not read the store's footprint: {}", ex.getMessage());
			return Optional.ofNullable(cached);
		}
	}

	/**
	 * The embedded store's file size, the live data in it (estimated by H2 from its fill
	 * rates), the size of its journal, and the bytes written to the file and the journal
	 * since the service opened them.
	 */
	public record Footprint(long fileBytes, long liveBytes, long journalBytes, long writtenBytes) {
	}

}
