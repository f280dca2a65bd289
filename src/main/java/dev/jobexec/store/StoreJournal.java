package dev.jobexec.store;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import javax.sql.DataSource;

import lombok.extern.slf4j.Slf4j;
import org.h2.engine.Database;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RandomAccessStore;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The embedded store's redo journal: what makes a write durable before H2 has written it
 * to its file. H2 keeps committed changes in memory and writes them out together, about
 * twice a second; before a write to the store returns, the absolute effect of its
 * transaction (the job's row as written, a state change's columns, the ids deleted) is
 * appended here, with a checksum. A SIGKILL loses nothing that was answered: at the next
 * start the journal is replayed over what the file holds, in order, and every record is
 * idempotent, so replaying one the file already holds changes nothing. Appends are not
 * fsynced, as H2's commits were not: a power cut can lose the last ones. The journal is a
 * directory of segments; a checkpoint starts a new segment, has H2 write everything
 * committed so far, and deletes the segments before it.
 */
@Slf4j
final class StoreJournal {

	private static final byte[] MAGIC = "jobexec store journal 1\n".getBytes(StandardCharsets.US_ASCII);

	private static final String SUFFIX = ".journal";

	/** Chunks less full than this (percent) are rewritten by a compaction. */
	private static final int COMPACTION_FILL_RATE = 90;

	/** The most a compaction step rewrites or moves. */
	private static final int COMPACTION_WRITE = 16 << 20;

	/** Records applied per transaction when the journal is replayed. */
	private static final int REPLAY_BATCH = 500;

	/** The journals open in this JVM, by directory. */
	private static final Map<Path, StoreJournal> OPEN = new java.util.HashMap<>();

	private final Path dir;

	private final ReentrantLock writers = new ReentrantLock();

	/** The stores writing to this journal; guarded by {@link #OPEN}. */
	private int users = 1;

	private final DataSource dataSource;

	private final JdbcClient jdbc;

	private final TransactionTemplate transactions;

	private final List<String> jobColumns;

	private final List<String> stateColumns;

	/**
	 * The database the journal's records are applied to; another one means H2 reopened.
	 */
	private volatile Database database;

	private FileChannel channel;

	private long segment;

	private long segmentRecords;

	/** The current segment's size. */
	private long segmentEnd;

	/** Why appends fail until the next segment, or null. */
	private String broken;

	private volatile long appendedBytes;

	/** When the last record was appended ({@link System#nanoTime}). */
	private volatile long lastAppend = System.nanoTime();

	private long lastEventSeq;

	/** {@link #lastAppend} as it was at the last compaction. */
	private long compactedAfter;

	private StoreJournal(Path dir, DataSource dataSource, TransactionTemplate transactions, List<String> jobColumns,
			List<String> stateColumns) {
		this.dir = dir;
		this.dataSource = dataSource;
		this.jdbc = JdbcClient.create(dataSource);
		this.transactions = transactions;
		this.jobColumns = List.copyOf(jobColumns);
		this.stateColumns = List.copyOf(stateColumns);
	}

	/**
	 * The journal of the H2 file database behind {@code dataSource}, in a directory
	 * beside its file; what an earlier run left in it is replayed, written to the file
	 * and deleted before this returns. Null for a database that is not an H2 file.
	 * @param jobColumns the columns of a job row, in the order of {@link Redo#job}'s
	 * values
	 * @param stateColumns the columns a state change writes, in the order of
	 * {@link Redo#state}'s values
	 */
	static StoreJournal open(DataSource dataSource, TransactionTemplate transactions, List<String> jobColumns,
			List<String> stateColumns) {
		Database database = database(dataSource);
		if (database == null || !database.isPersistent()) {
			return null;
		}
		// The path as given in the URL, after any of H2's file system prefixes
		// ("retry:", "nio:" ...), which are not part of the file's name.
		Path dir = Path.of(database.getDatabasePath().replaceFirst("^([a-zA-Z][a-zA-Z0-9]*:)+(?=/)", "") + SUFFIX)
			.toAbsolutePath()
			.normalize();
		synchronized (OPEN) {
			StoreJournal open = OPEN.get(dir);
			if (open != null && open.database == database) {
				// Another store of this JVM on the same database (H2 shares it within
				// a JVM): one journal, one writers' lock.
				open.users++;
				return open;
			}
			if (open != null) {
				// Left by a store whose database is gone without closing it (a test's
				// crash): what it wrote is replayed below, like any run's.
				open.closeChannel();
			}
			StoreJournal journal = openNew(dir, database, dataSource, transactions, jobColumns, stateColumns);
			OPEN.put(dir, journal);
			return journal;
		}
	}

	private static StoreJournal openNew(Path dir, Database database, DataSource dataSource,
			TransactionTemplate transactions, List<String> jobColumns, List<String> stateColumns) {
		StoreJournal journal = new StoreJournal(dir, dataSource, transactions, jobColumns, stateColumns);
		try {
			Files.createDirectories(dir);
			journal.database = database;
			List<Path> left = journal.segments();
			if (!left.isEmpty()) {
				long records = journal.replay(left);
				journal.jdbc.sql("checkpoint sync").update();
				log.info("Replayed {} records of the store journal ({} segments) left by the last run", records,
						left.size());
				for (Path path : left) {
					Files.delete(path);
				}
			}
			journal.startSegment(left.isEmpty() ? 1 : number(left.getLast()) + 1);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(
					"cannot open the store journal " + dir + " (it must be a writable directory beside the store file)",
					ex);
		}
		return journal;
	}

	/**
	 * The number of the next job state change written to this store, taken in the
	 * writers' turn (one journal, and one counter, per database in a JVM, however many
	 * stores write to it): at least the time in microseconds, so that a number is never
	 * given twice, even after a crash lost what the file and the journal held of the
	 * latest jobs and a retention sweep deleted the rest.
	 */
	synchronized long nextEventSeq() {
		Instant now = Instant.now();
		lastEventSeq = Math.max(lastEventSeq + 1, now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
		return lastEventSeq;
	}

	/** The store holds changes numbered up to {@code seq}. */
	synchronized void eventSeqAtLeast(long seq) {
		lastEventSeq = Math.max(lastEventSeq, seq);
	}

	/** Bytes appended since the service opened the journal. */
	long appendedBytes() {
		return appendedBytes;
	}

	/** The journal's size on disk. */
	long sizeOnDisk() {
		try (Stream<Path> files = Files.list(dir)) {
			return files.mapToLong((path) -> path.toFile().length()).sum();
		}
		catch (IOException ex) {
			return 0;
		}
	}

	/**
	 * Appends the records of one transaction, before it commits; called with the group
	 * commit's lock held. Null records are skipped. A failed append leaves nothing of
	 * itself behind: a record cut short in the middle of the journal would end the replay
	 * there.
	 * @throws DataAccessResourceFailureException when the journal cannot be written (the
	 * transaction must then roll back)
	 */
	void append(List<Redo> redos) {
		ByteArrayOutputStream frames = new ByteArrayOutputStream(512);
		int count = 0;
		for (Redo redo : redos) {
			if (redo != null) {
				for (byte[] payload : redo.payloads) {
					frame(frames, payload);
					count++;
				}
			}
		}
		if (count == 0) {
			return;
		}
		if (broken != null) {
			throw new DataAccessResourceFailureException(broken);
		}
		long start = segmentEnd;
		try {
			ByteBuffer buffer = ByteBuffer.wrap(frames.toByteArray());
			while (buffer.hasRemaining()) {
				channel.write(buffer);
			}
			segmentEnd += frames.size();
			segmentRecords += count;
			appendedBytes += frames.size();
			lastAppend = System.nanoTime();
		}
		catch (IOException ex) {
			retract(start);
			// Not chained: the failure's own message ("No space left on device") would
			// stand for the whole problem in health and in the client's 503.
			throw new DataAccessResourceFailureException("cannot write the store journal in " + dir + ": " + ex);
		}
	}

	/** Where the next record will start: what {@link #retract} cuts back to. */
	long end() {
		return segmentEnd;
	}

	/**
	 * Drops what was appended after {@code end}, for a transaction that did not commit;
	 * called with the group commit's lock held, so nothing else was appended since. If
	 * the segment cannot be cut, no more is appended to it: writes fail until the next
	 * checkpoint starts a new segment and drops this one.
	 */
	void retract(long end) {
		if (channel == null || segmentEnd == end && broken == null) {
			return;
		}
		try {
			channel.truncate(end);
			channel.position(end);
			segmentEnd = end;
		}
		catch (IOException ex) {
			broken = "cannot write the store journal in " + dir + ": a failed write could not be undone (" + ex
					+ "); writes fail until the next checkpoint";
			log.error("The store journal segment {}: {}", segment, broken);
		}
	}

	/**
	 * Has H2 write everything committed so far to its file, then deletes the segments it
	 * covers. {@code writers} runs its argument while no write is under way: H2 takes
	 * what it stores there (and only there, in the writers' turn, or when it runs out of
	 * memory in a writer's own turn); the writing and the fsync follow outside. If H2 has
	 * reopened its database since (it does after a failed write to its file), the changes
	 * it kept only in memory are gone from it: the journal is replayed into the new one
	 * first.
	 */
	void checkpoint(java.util.function.Consumer<Runnable> writers) {
		long[] closed = { -1 };
		boolean[] stored = { false };
		writers.accept(() -> {
			Database now = database(dataSource);
			if (now != database) {
				log.warn("The embedded store was reopened after a failure; replaying its journal into it");
				replay(segments());
				database = now;
				stored[0] = true;
			}
			if (segmentRecords > 0 || broken != null) {
				closed[0] = segment;
				startSegment(segment + 1);
				stored[0] = true;
			}
			if (stored[0]) {
				// What matters in the writers' turn is which changes H2 takes: it takes
				// them here and writes them on its own thread (the wait is below), unless
				// it is storing already; then it is done in this turn.
				MVStore store = database.getStore().getMvStore();
				if (store.tryCommit() < 0) {
					store.commit();
				}
				if (store.isClosed()) {
					throw new DataAccessResourceFailureException(
							"the embedded store was closed; its journal is kept until it is reopened");
				}
			}
		});
		if (!stored[0]) {
			return;
		}
		MVStore store = database.getStore().getMvStore();
		FileStore<?> file = store.getFileStore();
		// Once what it took is written, the fsync; through the store, which throws if it
		// was closed meanwhile (H2 closes it after an OutOfMemoryError, for one) or its
		// own thread failed to write: then the journal is kept.
		store.executeFilestoreOperation(file::sync);
		for (Path path : segments()) {
			if (number(path) <= closed[0]) {
				try {
					Files.delete(path);
				}
				catch (IOException ex) {
					log.warn("Could not delete the store journal segment {}: {}", path, ex.toString());
				}
			}
		}
	}

	/**
	 * Shrinks the file toward its live data once nothing has been written for
	 * {@code idle}: H2 writes each change anew and frees the old copy only later, and its
	 * file does not shrink by itself. What is live in sparsely used chunks is rewritten
	 * and the chunks are moved to close the gaps, for at most {@code step} per call (a
	 * write that arrives meanwhile waits for it), until the file stops shrinking; then
	 * not again before the next write and quiet period.
	 * @return whether it compacted
	 */
	boolean compactWhenIdle(java.time.Duration idle, java.time.Duration step) {
		long last = lastAppend;
		if (last == compactedAfter || System.nanoTime() - last < idle.toNanos()) {
			return false;
		}
		if (!compact(step)) {
			compactedAfter = last;
		}
		return true;
	}

	/**
	 * See {@link #compactWhenIdle}; also at a graceful stop, after the last checkpoint.
	 * Runs under the writers' lock, like every time H2 writes its file: H2 stores its
	 * maps one after the other, and a transaction committing meanwhile could leave the
	 * file with a change still marked as its own and no undo log to settle it, which H2
	 * then never shows (a row its index points to but a read does not find).
	 * @return whether the time ran out while the file was still shrinking
	 */
	boolean compact(java.time.Duration maxTime) {
		MVStore store = database.getStore().getMvStore();
		if (!(store.getFileStore() instanceof RandomAccessStore file)) {
			return false;
		}
		long until = System.nanoTime() + maxTime.toNanos();
		writers.lock();
		int retention = store.getRetentionTime();
		store.setRetentionTime(0);
		try {
			// Until the file stops shrinking: what a rewrite writes is itself in chunks
			// a little short of full, which another pass would rewrite again.
			long size = file.size();
			boolean shrank;
			do {
				boolean rewrote = store.compact(COMPACTION_FILL_RATE, COMPACTION_WRITE);
				store.commit();
				file.compactMoveChunks(COMPACTION_FILL_RATE, COMPACTION_WRITE, store);
				shrank = rewrote && file.size() < size;
				size = file.size();
			}
			while (shrank && System.nanoTime() - until < 0);
			return shrank;
		}
		finally {
			store.setRetentionTime(retention);
			writers.unlock();
		}
	}

	/**
	 * The lock under which writes commit and append, and a checkpoint starts a segment:
	 * one per journal, shared by every store that writes to it.
	 */
	ReentrantLock writers() {
		return writers;
	}

	/**
	 * Closes the current segment, once the last store that writes to it is done; what it
	 * holds stays for the next start.
	 */
	void close() {
		synchronized (OPEN) {
			if (--users > 0) {
				return;
			}
			OPEN.remove(dir, this);
		}
		closeChannel();
	}

	private void closeChannel() {
		try {
			if (channel != null) {
				channel.close();
			}
		}
		catch (IOException ex) {
			log.warn("Could not close the store journal: {}", ex.toString());
		}
	}

	private void startSegment(long number) {
		Path path = dir.resolve("%020d%s".formatted(number, SUFFIX));
		try {
			FileChannel next = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
			byte[] header = header();
			next.write(ByteBuffer.wrap(header));
			closeChannel();
			channel = next;
			segment = number;
			segmentRecords = 0;
			segmentEnd = header.length;
			broken = null;
		}
		catch (IOException ex) {
			throw new DataAccessResourceFailureException("cannot start a store journal segment " + path + ": " + ex);
		}
	}

	private List<Path> segments() {
		try (Stream<Path> files = Files.list(dir)) {
			return files.filter((path) -> path.getFileName().toString().endsWith(SUFFIX))
				.sorted()
				.collect(Collectors.toList());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot list the store journal " + dir, ex);
		}
	}

	private static long number(Path segment) {
		String name = segment.getFileName().toString();
		return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
	}

	private byte[] header() throws IOException {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		DataOutputStream out = new DataOutputStream(bytes);
		out.write(MAGIC);
		for (List<String> columns : List.of(jobColumns, stateColumns)) {
			out.writeInt(columns.size());
			for (String column : columns) {
				out.writeUTF(column);
			}
		}
		return bytes.toByteArray();
	}

	/**
	 * Applies the records of {@code segments} in order; a record cut short at the end of
	 * the last one (the write a crash interrupted, never answered) ends the replay.
	 */
	private long replay(List<Path> segments) {
		long applied = 0;
		for (int i = 0; i < segments.size(); i++) {
			Path path = segments.get(i);
			Segment read = Segment.read(path);
			if (read.torn != null) {
				if (i < segments.size() - 1) {
					throw new IllegalStateException("The store journal segment " + path + " is damaged (" + read.torn
							+ ") and later segments exist, so the store cannot be brought up to date; restore the "
							+ "data directory from a backup, or move the journal directory aside to start from "
							+ "what the store file holds");
				}
				log.warn("The last record of the store journal {} is incomplete ({}); it was never answered and is "
						+ "dropped", path, read.torn);
			}
			Replay replay = new Replay(read.jobColumns, read.stateColumns);
			for (int from = 0; from < read.records.size(); from += REPLAY_BATCH) {
				List<byte[]> batch = read.records.subList(from, Math.min(from + REPLAY_BATCH, read.records.size()));
				transactions.executeWithoutResult((status) -> batch.forEach(replay::apply));
			}
			applied += read.records.size();
		}
		return applied;
	}

	private static Database database(DataSource dataSource) {
		try (Connection connection = dataSource.getConnection()) {
			return database(connection);
		}
		catch (SQLException ex) {
			throw new DataAccessResourceFailureException("cannot reach the embedded store: " + ex, ex);
		}
	}

	private static Database database(Connection connection) throws SQLException {
		if (!connection.isWrapperFor(JdbcConnection.class)) {
			return null;
		}
		return (connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)
				? session.getDatabase() : null;
	}

	private static void frame(ByteArrayOutputStream frames, byte[] payload) {
		CRC32C crc = new CRC32C();
		crc.update(payload);
		DataOutputStream out = new DataOutputStream(frames);
		try {
			out.writeInt(payload.length);
			out.writeInt((int) crc.getValue());
			out.write(payload);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Applies records written with the columns a segment's header names. */
	private final class Replay {

		private final List<String> jobColumns;

		private final List<String> stateColumns;

		private final String mergeJob;

		private final String updateState;

		Replay(List<String> jobColumns, List<String> stateColumns) {
			this.jobColumns = jobColumns;
			this.stateColumns = stateColumns;
			this.mergeJob = "merge into job (" + String.join(", ", jobColumns) + ") key (id) values ("
					+ String.join(", ", java.util.Collections.nCopies(jobColumns.size(), "?")) + ")";
			this.updateState = "update job set "
					+ stateColumns.stream().map((column) -> column + " = ?").collect(Collectors.joining(", "))
					+ " where id = ?";
		}

		void apply(byte[] payload) {
			try {
				DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
				switch (in.readByte()) {
					case Redo.JOB -> {
						List<Object> values = readValues(in, jobColumns.size());
						String id = (String) values.get(jobColumns.indexOf("id"));
						Object key = values.get(jobColumns.indexOf("idempotency_key"));
						if (key != null) {
							// The file may already hold a later job with this key,
							// written
							// after
							// this one was deleted; the records that follow restore it.
							jdbc.sql("delete from job where idempotency_key = ? and id <> ?").params(key, id).update();
						}
						jdbc.sql(mergeJob).params(values).update();
						int labels = in.readInt();
						for (int i = 0; i < labels; i++) {
							jdbc.sql("merge into job_label (job_id, label_name, label_value) key (job_id, label_name) "
									+ "values (?, ?, ?)")
								.params(id, in.readUTF(), in.readUTF())
								.update();
						}
					}
					case Redo.STATE -> {
						String id = in.readUTF();
						List<Object> values = new ArrayList<>(readValues(in, stateColumns.size()));
						values.add(id);
						jdbc.sql(updateState).params(values).update();
					}
					case Redo.DELETE -> {
						int count = in.readInt();
						List<String> ids = new ArrayList<>(count);
						for (int i = 0; i < count; i++) {
							ids.add(in.readUTF());
						}
						if (!ids.isEmpty()) {
							jdbc.sql("delete from job where id in (:ids)").param("ids", ids).update();
						}
					}
					case Redo.PROBE -> {
						// Written to find out whether the journal can be written; no
						// effect.
					}
					default -> throw new IllegalStateException("unknown store journal record");
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("a store journal record in " + dir + " cannot be read", ex);
			}
		}

	}

	/** A segment's header and its whole records, up to the first that is cut short. */
	private record Segment(List<String> jobColumns, List<String> stateColumns, List<byte[]> records, String torn) {

		static Segment read(Path path) {
			try (DataInputStream in = new DataInputStream(
					new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 16))) {
				byte[] magic = new byte[MAGIC.length];
				try {
					in.readFully(magic);
				}
				catch (EOFException ex) {
					// A crash between creating the segment and writing its header.
					return new Segment(List.of(), List.of(), List.of(), null);
				}
				if (!java.util.Arrays.equals(magic, MAGIC)) {
					throw new IllegalStateException("The file " + path + " is not a jobexec store journal segment; "
							+ "move it out of the journal directory");
				}
				List<String> jobColumns = readNames(in);
				List<String> stateColumns = readNames(in);
				List<byte[]> records = new ArrayList<>();
				while (true) {
					int length;
					try {
						length = in.readInt();
					}
					catch (EOFException ex) {
						return new Segment(jobColumns, stateColumns, records, null);
					}
					try {
						int crc = in.readInt();
						if (length < 1 || length > (64 << 20)) {
							return new Segment(jobColumns, stateColumns, records, "a record of " + length + " bytes");
						}
						byte[] payload = new byte[length];
						in.readFully(payload);
						CRC32C check = new CRC32C();
						check.update(payload);
						if ((int) check.getValue() != crc) {
							return new Segment(jobColumns, stateColumns, records, "a checksum mismatch");
						}
						records.add(payload);
					}
					catch (EOFException ex) {
						return new Segment(jobColumns, stateColumns, records, "the file ends inside a record");
					}
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("cannot read the store journal segment " + path, ex);
			}
		}

		private static List<String> readNames(DataInputStream in) throws IOException {
			int count = in.readInt();
			List<String> names = new ArrayList<>(count);
			for (int i = 0; i < count; i++) {
				names.add(in.readUTF());
			}
			return names;
		}

	}

	private static List<Object> readValues(DataInputStream in, int count) throws IOException {
		List<Object> values = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			values.add(switch (in.readByte()) {
				case 0 -> null;
				case 1 -> {
					byte[] bytes = new byte[in.readInt()];
					in.readFully(bytes);
					yield new String(bytes, StandardCharsets.UTF_8);
				}
				case 2 -> in.readLong();
				case 3 -> in.readInt();
				case 4 -> in.readBoolean();
				case 5 -> OffsetDateTime.ofInstant(Instant.ofEpochSecond(in.readLong(), in.readInt()),
						ZoneOffset.ofTotalSeconds(in.readInt()));
				default -> throw new IOException("unknown value type");
			});
		}
		return values;
	}

	/**
	 * One write's effect, encoded: what the journal appends for it and replays.
	 */
	static final class Redo {

		static final byte JOB = 1;

		static final byte STATE = 2;

		static final byte DELETE = 3;

		static final byte PROBE = 4;

		private final List<byte[]> payloads;

		private Redo(List<byte[]> payloads) {
			this.payloads = payloads;
		}

		/** The records of several changes made by one write. */
		static Redo all(List<Redo> redos) {
			return new Redo(redos.stream().flatMap((redo) -> redo.payloads.stream()).toList());
		}

		/**
		 * A job's whole row (values in the journal's job column order) and its labels.
		 */
		static Redo job(List<Object> values, Map<String, String> labels) {
			return encode((out) -> {
				out.writeByte(JOB);
				writeValues(out, values);
				out.writeInt(labels.size());
				for (Map.Entry<String, String> label : labels.entrySet()) {
					out.writeUTF(label.getKey());
					out.writeUTF(label.getValue());
				}
			});
		}

		/** A state change: the state columns' values, in the journal's order. */
		static Redo state(String id, List<Object> values) {
			return encode((out) -> {
				out.writeByte(STATE);
				out.writeUTF(id);
				writeValues(out, values);
			});
		}

		static Redo deleted(List<String> ids) {
			return encode((out) -> {
				out.writeByte(DELETE);
				out.writeInt(ids.size());
				for (String id : ids) {
					out.writeUTF(id);
				}
			});
		}

		static Redo probe() {
			return encode((out) -> out.writeByte(PROBE));
		}

		private static Redo encode(Encoder encoder) {
			ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
			try {
				encoder.write(new DataOutputStream(bytes));
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			return new Redo(List.of(bytes.toByteArray()));
		}

		private static void writeValues(DataOutputStream out, List<Object> values) throws IOException {
			for (Object value : values) {
				switch (value) {
					case null -> out.writeByte(0);
					case String text -> {
						byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
						out.writeByte(1);
						out.writeInt(bytes.length);
						out.write(bytes);
					}
					case Long number -> {
						out.writeByte(2);
						out.writeLong(number);
					}
					case Integer number -> {
						out.writeByte(3);
						out.writeInt(number);
					}
					case Boolean flag -> {
						out.writeByte(4);
						out.writeBoolean(flag);
					}
					case OffsetDateTime time -> {
						out.writeByte(5);
						out.writeLong(time.toEpochSecond());
						out.writeInt(time.getNano());
						out.writeInt(time.getOffset().getTotalSeconds());
					}
					default -> throw new IllegalArgumentException(
							"a store journal value of type " + value.getClass().getName());
				}
			}
		}

		@FunctionalInterface
		private interface Encoder {

			void write(DataOutputStream out) throws IOException;

		}

	}

}
