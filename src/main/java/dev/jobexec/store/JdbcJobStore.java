package dev.jobexec.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import dev.jobexec.execution.CapturedOutput;
import dev.jobexec.execution.ResourceUsage;
import dev.jobexec.execution.TerminationReason;
import dev.jobexec.job.IdempotencyKeyTakenException;
import dev.jobexec.job.Job;
import dev.jobexec.job.JobRequest;
import dev.jobexec.job.JobState;
import dev.jobexec.job.JobStore;
import dev.jobexec.job.RetryPolicy;
import dev.jobexec.job.StoreUnavailableException;
import lombok.extern.slf4j.Slf4j;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps jobs in a relational database (H2 by default, PostgreSQL when configured), with
 * the schema the Flyway migrations in {@code db/migration} create. Inserts and updates
 * share transactions through a {@link GroupCommit}. It remembers whether its last write
 * failed, so that health can report a store that cannot be written.
 */
@Slf4j
class JdbcJobStore implements JobStore {

	/**
	 * Each column of a job row and the name of its statement parameter, in the order the
	 * statements and the journal's records list them.
	 */
	private static final Map<String, String> PARAMETERS = parameterNames("id", "id", "pool", "pool", "kind", "kind",
			"state", "state", "request", "request", "timeout_ms", "timeoutMs", "daemon", "daemon", "submitted_at",
			"submittedAt", "started_at", "startedAt", "finished_at", "finishedAt", "pid", "pid", "pid_start_ticks",
			"pidStartTicks", "instance", "instance", "exit_code", "exitCode", "signal", "signal", "result", "result",
			"error", "error", "stdout_text", "stdoutText", "stdout_bytes", "stdoutBytes", "stdout_truncated",
			"stdoutTruncated", "stderr_text", "stderrText", "stderr_bytes", "stderrBytes", "stderr_truncated",
			"stderrTruncated", "termination_reason", "terminationReason", "idempotency_key", "idempotencyKey",
			"request_digest", "requestDigest", "resource_usage", "usage", "stdout_kept", "stdoutKept",
			"stdout_kept_error", "stdoutKeptError", "stderr_kept", "stderrKept", "stderr_kept_error", "stderrKeptError",
			"event_seq", "eventSeq", "retry_policy", "retryPolicy", "attempt", "attempt", "attempts", "attempts",
			"next_attempt_at", "nextAttemptAt");

	private static final List<String> JOB_COLUMNS_IN_ORDER = List.copyOf(PARAMETERS.keySet());

	/** Every column a state change can touch. */
	private static final List<String> STATE_COLUMNS = List.of("state", "started_at", "finished_at", "pid",
			"pid_start_ticks", "instance", "exit_code", "signal", "result", "error", "stdout_text", "stdout_bytes",
			"stdout_truncated", "stderr_text", "stderr_bytes", "stderr_truncated", "termination_reason",
			"resource_usage", "stdout_kept", "stdout_kept_error", "stderr_kept", "stderr_kept_error", "event_seq",
			"attempt", "attempts", "next_attempt_at");

	private static Map<String, String> parameterNames(String... pairs) {
		Map<String, String> names = new java.util.LinkedHashMap<>();
		for (int i = 0; i < pairs.length; i += 2) {
			names.put(pairs[i], pairs[i + 1]);
		}
		return java.util.Collections.unmodifiableMap(names);
	}

	private static final String COLUMNS = String.join(", ", JOB_COLUMNS_IN_ORDER);

	/**
	 * Positional: the hot statements (a submission's insert, a state change) take their
	 * values as a list, which spares Spring rewriting a statement of some thirty named
	 * parameters for each write.
	 */
	private static final String INSERT = "insert into job (" + COLUMNS + ") values ("
			+ String.join(", ", java.util.Collections.nCopies(JOB_COLUMNS_IN_ORDER.size(), "?")) + ")";

	/** The unique index that gives each Idempotency-Key to one job (V4 migration). */
	private static final String IDEMPOTENCY_KEY_INDEX = "job_idempotency_key";

	/** The same columns, qualified for the listing query, which joins the label table. */
	private static final String JOB_COLUMNS = java.util.Arrays.stream(COLUMNS.split(","))
		.map((column) -> "j." + column.trim())
		.collect(java.util.stream.Collectors.joining(", "));

	/**
	 * Quiet this long, the embedded store's file is compacted (until it stops shrinking,
	 * once per quiet period).
	 */
	private static final Duration IDLE = Duration.ofSeconds(10);

	/**
	 * The most one checkpoint spends compacting (a write that arrives waits for it); the
	 * next one goes on while it is still quiet and the file still shrinks.
	 */
	private static final Duration IDLE_COMPACTION = Duration.ofMillis(250);

	private static final Duration STOP_COMPACTION = Duration.ofSeconds(5);

	private final JdbcClient jdbc;

	private final TransactionTemplate transactions;

	private final JsonMapper json;

	private final GroupCommit groupCommit;

	private final StoreJournal journal;

	private volatile String writeProblem;

	JdbcJobStore(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json) {
		this(jdbc, transactions, json, null);
	}

	/**
	 * A store whose writes are made durable by {@code journal} before they return (the
	 * embedded H2 store), or by the database's own commit when it is null.
	 */
	JdbcJobStore(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json, StoreJournal journal) {
		this.jdbc = jdbc;
		this.transactions = transactions;
		this.json = json;
		this.journal = journal;
		this.groupCommit = new GroupCommit(transactions, journal);
		if (journal != null) {
			journal.eventSeqAtLeast(lastChange());
		}
	}

	/**
	 * The number of the state change about to be written: the embedded store numbers it
	 * now, from its journal (the writer holds the group commit's lock); PostgreSQL: -1,
	 * numbered once committed by {@link #sequenceChanges}.
	 */
	private long nextEventSeq() {
		return (journal != null) ? journal.nextEventSeq() : -1;
	}

	@Override
	public int sequenceChanges() {
		if (journal != null) {
			return 0;
		}
		// Not guarded: numbering is the event stream's background work; its failures are
		// reported by the event stream, once, and say nothing of whether jobs can be
		// written.
		return transactions.execute((status) -> {
			// One sequencer at a time across the cluster, holding the lock to its commit:
			// the numbers of one run are all above those of every run committed before
			// it, so a reader that has seen a number has seen every lower one. Rows a
			// writer holds are skipped; they are numbered by the next run.
			if (!jdbc.sql("select pg_try_advisory_xact_lock(?)").param(EVENTS_LOCK).query(Boolean.class).single()) {
				return 0;
			}
			return jdbc
				.sql("with pending as materialized (select id from job where event_seq = -1 order by id "
						+ "limit 1000 for update skip locked) update job set event_seq = nextval('job_event_seq') from "
						+ "pending where job.id = pending.id")
				.update();
		});
	}

	@Override
	public List<Change> changesAfter(long after, long upTo, Query filter, int limit) {
		Map<String, Object> params = new HashMap<>();
		StringBuilder sql = new StringBuilder("select j.id, j.state, j.pool, j.instance, j.submitted_at, "
				+ "j.started_at, j.finished_at, j.exit_code, j.signal, j.termination_reason, j.event_seq, "
				+ "case when j.retry_policy is null then null else coalesce(j.attempt, 1) end as attempt, "
				+ "j.next_attempt_at from job j " + "where j.event_seq > :after and j.event_seq <= :upTo");
		params.put("after", after);
		params.put("upTo", upTo);
		appendFilters(sql, params, filter, 0);
		sql.append(" order by j.event_seq limit :limit");
		params.put("limit", limit);
		return read("read job state changes", () -> {
			List<Change> changes = jdbc.sql(sql.toString()).params(params).query((rs, n) -> {
				String reason = rs.getString("termination_reason");
				return new Change(rs.getLong("event_seq"), rs.getString("id"), JobState.valueOf(rs.getString("state")),
						rs.getString("pool"), new java.util.TreeMap<>(), rs.getString("instance"),
						instant(rs, "submitted_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
						rs.getObject("exit_code", Integer.class), rs.getObject("signal", Integer.class),
						(reason != null) ? TerminationReason.valueOf(reason) : null,
						rs.getObject("attempt", Integer.class), instant(rs, "next_attempt_at"));
			}).list();
			if (!changes.isEmpty()) {
				Map<String, Map<String, String>> labels = new HashMap<>();
				changes.forEach((change) -> labels.put(change.id(), change.labels()));
				jdbc.sql("select job_id, label_name, label_value from job_label where job_id in (:ids)")
					.param("ids", labels.keySet())
					.query((rs) -> {
						labels.get(rs.getString(1)).put(rs.getString(2), rs.getString(3));
					});
			}
			return changes;
		});
	}

	@Override
	public long lastChange() {
		return read("read the last job state change",
				() -> jdbc.sql("select coalesce(max(event_seq), 0) from job").query(Long.class).single());
	}

	/** The columns of a job row, in the order the journal's job records hold them. */
	static List<String> jobColumns() {
		return JOB_COLUMNS_IN_ORDER;
	}

	/**
	 * The columns a state change writes, in the order the journal's records hold them.
	 */
	static List<String> stateColumns() {
		return STATE_COLUMNS;
	}

	/** The journal of the embedded store, if this store has one. */
	Optional<StoreJournal> journal() {
		return Optional.ofNullable(journal);
	}

	/**
	 * Has the embedded store write everything committed so far to its file and drop the
	 * journal it no longer needs; nothing for a store without a journal.
	 */
	void checkpoint() {
		if (journal != null) {
			// Not guarded: a checkpoint that fails leaves every write durable in the
			// journal, so the store stays writable (writes report their own failures).
			journal.checkpoint(groupCommit::exclusively);
			journal.compactWhenIdle(IDLE, IDLE_COMPACTION);
		}
	}

	/**
	 * The last checkpoint, when the service stops: the next start finds the file up to
	 * date and nothing to replay (unless this fails; then the journal is kept for it).
	 */
	void close() {
		if (journal != null) {
			try {
				// Not checkpoint(): its idle compaction would run before the one below.
				journal.checkpoint(groupCommit::exclusively);
			}
			catch (RuntimeException ex) {
				log.warn("The last checkpoint of the embedded store failed; the next start replays its journal: {}",
						ex.getMessage());
				journal.close();
				return;
			}
			try {
				journal.compact(STOP_COMPACTION);
			}
			catch (RuntimeException ex) {
				log.warn("Could not compact the embedded store at the stop: {}", ex.getMessage());
			}
			journal.close();
		}
	}

	@Override
	public void insert(Job job) {
		Job.Persisted p = job.persisted();
		Map<String, Object> params = parameters(p);
		write("insert job " + p.id(), refusingATakenKey(p.idempotencyKey(), () -> insertRow(p, params, job.labels())));
	}

	@Override
	public void insertAll(List<Job> jobs) {
		write("insert " + jobs.size() + " jobs", () -> insertRows(jobs));
	}

	@Override
	public String admitAll(List<Job> jobs, Map<String, Integer> queueCapacities) {
		return queue("insert " + jobs.size() + " jobs", jobs, queueCapacities, null);
	}

	/**
	 * Stores {@code jobs} as queued in one transaction, unless one of their pools would
	 * then hold more unclaimed queued jobs across the cluster than its capacity; the
	 * count and the insert are serialised across nodes. Returns null when they were
	 * stored, otherwise the pool they do not fit.
	 */
	private String queue(String what, List<Job> jobs, Map<String, Integer> queueCapacities, String idempotencyKey) {
		Map<String, Integer> counts = new java.util.TreeMap<>();
		jobs.forEach((job) -> counts.merge(job.pool(), 1, Integer::sum));
		try {
			write(what, refusingATakenKey(idempotencyKey, () -> {
				jdbc.sql("select pg_advisory_xact_lock(?)").param(QUEUE_LOCK).query((rs, n) -> 1).list();
				for (Map.Entry<String, Integer> pool : counts.entrySet()) {
					int waiting = jdbc
						.sql("select count(*) from job where pool = ? and state = 'QUEUED' and instance is null")
						.param(pool.getKey())
						.query(Integer.class)
						.single();
					if (waiting + pool.getValue() > queueCapacities.get(pool.getKey())) {
						throw new QueueFull(pool.getKey());
					}
				}
				StoreJournal.Redo inserted = insertRows(jobs);
				counts.keySet().forEach((pool) -> tellNodes(QUEUED_CHANNEL, pool));
				return inserted;
			}));
			return null;
		}
		catch (QueueFull ex) {
			return ex.pool;
		}
	}

	private StoreJournal.Redo insertRows(List<Job> jobs) {
		return StoreJournal.Redo.all(jobs.stream().map((job) -> {
			Job.Persisted p = job.persisted();
			return insertRow(p, parameters(p), job.labels());
		}).toList());
	}

	private StoreJournal.Redo insertRow(Job.Persisted p, Map<String, Object> params, Map<String, String> labels) {
		params.put("eventSeq", nextEventSeq());
		List<Object> row = values(params, JOB_COLUMNS_IN_ORDER);
		jdbc.sql(INSERT).params(row).update();
		for (Map.Entry<String, String> label : labels.entrySet()) {
			jdbc.sql("insert into job_label (job_id, label_name, label_value) values (?, ?, ?)")
				.params(p.id(), label.getKey(), label.getValue())
				.update();
		}
		return StoreJournal.Redo.job(row, labels);
	}

	/** The values of {@code columns} among statement parameters, in that order. */
	private static List<Object> values(Map<String, Object> params, List<String> columns) {
		return columns.stream().map((column) -> params.get(PARAMETERS.get(column))).toList();
	}

	private static final String SET_STATE = STATE_COLUMNS.stream()
		.map((column) -> column + " = :" + PARAMETERS.get(column))
		.collect(java.util.stream.Collectors.joining(", "));

	/**
	 * One string, so that its parsed form is found in the statement cache by a hash kept;
	 * positional (see {@link #INSERT}): {@link #STATE_COLUMNS}, then the id, as
	 * {@link #statePositional} lists them.
	 */
	private static final String UPDATE_STATE = "update job set "
			+ STATE_COLUMNS.stream().map((column) -> column + " = ?").collect(java.util.stream.Collectors.joining(", "))
			+ " where id = ?";

	/** The values of {@link #UPDATE_STATE}'s parameters, in order. */
	private static List<Object> statePositional(Map<String, Object> params, String id) {
		List<Object> values = new java.util.ArrayList<>(values(params, STATE_COLUMNS));
		values.add(id);
		return values;
	}

	/**
	 * Serialises the capacity check and insert of queued jobs across the cluster (a
	 * PostgreSQL advisory lock held until the commit; one key for every pool, so that a
	 * group commit holding several pools cannot deadlock with another).
	 */
	private static final long QUEUE_LOCK = 0x6a6f6265786563L;

	/** Serialises the numbering of state changes across the cluster. */
	private static final long EVENTS_LOCK = 0x6a6f6265786565L;

	@Override
	public void update(Job job) {
		Map<String, Object> params = stateParameters(job.persisted());
		write("update job " + job.id(), () -> {
			params.put("eventSeq", nextEventSeq());
			List<Object> statement = statePositional(params, job.id());
			jdbc.sql(UPDATE_STATE).params(statement).update();
			return StoreJournal.Redo.state(job.id(), statement.subList(0, STATE_COLUMNS.size()));
		});
	}

	@Override
	public Admission admit(Job job, int queueCapacity, String startOn, Instant at) {
		Job.Persisted p = job.persisted();
		if (startOn != null && !read("read the queue", () -> jdbc
			.sql("select exists (select 1 from job where pool = ? and state = 'QUEUED' and instance is null and " + DUE
					+ ")")
			.param(p.pool())
			.query(Boolean.class)
			.single())) {
			// Nothing waits: it starts here at once, never enters the queue, and so
			// needs no place in it (nor the lock that guards the places).
			Map<String, Object> started = parameters(p);
			started.put("state", "RUNNING");
			started.put("instance", startOn);
			started.put("startedAt", utc(at));
			write("insert job " + p.id(),
					refusingATakenKey(p.idempotencyKey(), () -> insertRow(p, started, job.labels())));
			return Admission.STARTED;
		}
		String full = queue("insert job " + p.id(), List.of(job), Map.of(p.pool(), queueCapacity), p.idempotencyKey());
		return (full == null) ? Admission.QUEUED : Admission.FULL;
	}

	/**
	 * A queued job that may start now: not one waiting for its next attempt (the
	 * database's clock decides, as for leases).
	 */
	private static final String DUE = "(next_attempt_at is null or next_attempt_at <= clock_timestamp())";

	@Override
	public List<Job> claim(String node, String pool, int max) {
		if (max <= 0) {
			return List.of();
		}
		// One statement: the CTE locks the oldest unclaimed rows, skipping rows another
		// node is claiming at this moment, and the update hands them to this node.
		// MATERIALIZED keeps the locking select from being folded into the update, where
		// it could be evaluated more than once.
		return read("claim jobs",
				() -> jdbc
					.sql("with picked as materialized (select id from job where pool = :pool "
							+ "and state = 'QUEUED' and instance is null and " + DUE
							+ " order by id limit :max for update skip locked) "
							+ "update job set instance = :node from picked where job.id = picked.id returning "
							+ JOB_COLUMNS.replace("j.", "job."))
					.param("node", node)
					.param("pool", pool)
					.param("max", max)
					.query(this::row)
					.list()
					.stream()
					.sorted(java.util.Comparator.comparing(Job::id))
					.toList());
	}

	@Override
	public boolean updateHeld(Job job, String node) {
		Map<String, Object> params = stateParameters(job.persisted());
		params.put("node", node);
		int[] matched = new int[1];
		write("update job " + job.id(), () -> {
			params.put("eventSeq", nextEventSeq());
			matched[0] = jdbc
				.sql("update job set " + SET_STATE
						+ " where id = :id and instance = :node and state in ('QUEUED', 'RUNNING') and exists (select "
						+ "1 from node where id = :node and state <> 'DEAD' and lease_expires_at > clock_timestamp())")
				.params(params)
				.update();
			return null; // cluster mode: PostgreSQL, no journal
		});
		return matched[0] == 1;
	}

	@Override
	public boolean unclaim(String jobId, String node) {
		return guarded("unclaim job " + jobId, () -> transactions.execute((status) -> {
			List<String> pools = jdbc
				.sql("update job set instance = null where id = ? and instance = ? and state = 'QUEUED' returning pool")
				.params(jobId, node)
				.query(String.class)
				.list();
			pools.forEach((pool) -> tellNodes(QUEUED_CHANNEL, pool));
			return !pools.isEmpty();
		}));
	}

	@Override
	public Optional<Job> cancelWaiting(String jobId, Instant at) {
		return guarded("cancel job " + jobId, () -> jdbc.sql("update job set state = 'CANCELLED', finished_at = ?, "
				+ "termination_reason = 'CANCELLED', next_attempt_at = null, event_seq = -1 where id = ? and state = 'QUEUED' and instance is null returning "
				+ COLUMNS)
			.params(utc(at), jobId)
			.query(this::row)
			.optional());
	}

	@Override
	public boolean requestCancel(String jobId) {
		return guarded("request the cancel of job " + jobId, () -> transactions.execute((status) -> {
			int flagged = jdbc
				.sql("update job set cancel_requested = true where id = ? and state in ('QUEUED', " + "'RUNNING')")
				.param(jobId)
				.update();
			if (flagged == 1) {
				tellNodes(CANCEL_CHANNEL, jobId);
			}
			return flagged == 1;
		}));
	}

	@Override
	public List<Job> heldBy(String node) {
		return read("read the jobs of node " + node,
				() -> jdbc.sql("select " + COLUMNS + " from job where instance = ? and state in ('QUEUED', 'RUNNING')")
					.param(node)
					.query(this::row)
					.list());
	}

	@Override
	public List<String> cancelRequested(String node) {
		return read("read cancel requests", () -> jdbc
			.sql("select id from job where instance = ? and state in " + "('QUEUED', 'RUNNING') and cancel_requested")
			.param(node)
			.query(String.class)
			.list());
	}

	@Override
	public Settled settleJobsOfDeadNodes(Instant at) {
		String notAlive = "instance is not null and instance not in (select id from node where state <> 'DEAD')";
		return guarded("settle the jobs of dead nodes", () -> transactions.execute((status) -> {
			// Jobs whose retry policy names LOST wait for their next attempt instead.
			List<Retried> retried = new java.util.ArrayList<>();
			for (Job job : jdbc
				.sql("select " + COLUMNS + " from job where state = 'RUNNING' and retry_policy like '%LOST%' and "
						+ notAlive + " for update")
				.query(this::row)
				.list()) {
				Job.Persisted running = job.persisted();
				if (job.loseOrRetry(at, lostBy(running.instance()))) {
					Map<String, Object> params = stateParameters(job.persisted());
					params.put("eventSeq", nextEventSeq());
					jdbc.sql(UPDATE_STATE).params(statePositional(params, job.id())).update();
					retried.add(new Retried(running, job.nextAttemptAt()));
				}
			}
			List<Job> lost = jdbc
				.sql("update job set state = 'LOST', finished_at = ?, event_seq = -1, "
						+ "termination_reason = 'SERVICE_LOST', error = '" + lostBy("' || instance || '")
						+ "' where state = 'RUNNING' and " + notAlive + " returning " + COLUMNS)
				.param(utc(at))
				.query(this::row)
				.list();
			List<String> requeued = jdbc
				.sql("update job set instance = null where state = 'QUEUED' and " + notAlive + " returning pool")
				.query(String.class)
				.list();
			requeued.stream().distinct().forEach((pool) -> tellNodes(QUEUED_CHANNEL, pool));
			return new Settled(lost, requeued, retried);
		}));
	}

	/**
	 * Why a job of a dead node is lost; {@code node} is its id, or, inside an SQL string,
	 * an expression that gives it.
	 */
	private static String lostBy(String node) {
		return "the node running it (" + node + ") died or lost its lease while the job was running";
	}

	/**
	 * Tells the nodes that listen on {@code channel}, when the current transaction
	 * commits (PostgreSQL's NOTIFY).
	 */
	private void tellNodes(String channel, String payload) {
		jdbc.sql("select pg_notify(?, ?)").params(channel, payload).query((rs, n) -> 1).list();
	}

	/** The capacity check found the pool's queue full: the insert is not made. */
	private static final class QueueFull extends RuntimeException {

		private final String pool;

		QueueFull(String pool) {
			super(null, null, false, false);
			this.pool = pool;
		}

	}

	@Override
	public Optional<Job> find(String id) {
		return read("read job " + id,
				() -> jdbc.sql("select " + COLUMNS + " from job where id = ?").param(id).query(this::row).optional());
	}

	@Override
	public Optional<Job> findByIdempotencyKey(String idempotencyKey) {
		return read("read the job of an idempotency key",
				() -> jdbc.sql("select " + COLUMNS + " from job where idempotency_key = ?")
					.param(idempotencyKey)
					.query(this::row)
					.optional());
	}

	/**
	 * Lists newest first. The query is shaped so that one index yields the rows already
	 * in order and the scan stops after {@code limit} rows: with a label, the label index
	 * drives it; with a state or a pool, the order by names that column first (it is
	 * constant, so the order is the same), because H2 only reads an index as sorted when
	 * the order by starts with its columns.
	 */
	@Override
	public List<Job> list(Query query) {
		Map<String, Object> params = new HashMap<>();
		List<Map.Entry<String, String>> labels = (query.labels() != null) ? List.copyOf(query.labels().entrySet())
				: List.of();
		StringBuilder sql = new StringBuilder("select ").append(JOB_COLUMNS).append(" from ");
		String order;
		if (!labels.isEmpty()) {
			sql.append("job_label l join job j on j.id = l.job_id where l.label_name = :n0 and l.label_value = :v0");
			params.put("n0", labels.get(0).getKey());
			params.put("v0", labels.get(0).getValue());
			if (query.after() != null) {
				sql.append(" and l.job_id < :after");
			}
			order = " order by l.label_name desc, l.label_value desc, l.job_id desc";
		}
		else {
			sql.append("job j where 1 = 1");
			if (query.after() != null) {
				sql.append(" and j.id < :after");
			}
			order = " order by " + ((query.state() != null) ? "j.state desc, " : "")
					+ ((query.pool() != null) ? "j.pool desc, " : "") + "j.id desc";
		}
		// The first label, if any, is the join's.
		appendFilters(sql, params, query, 1);
		if (query.after() != null) {
			params.put("after", query.after());
		}
		sql.append(order).append(" limit :limit");
		params.put("limit", query.limit());
		return read("list jobs", () -> jdbc.sql(sql.toString()).params(params).query(this::row).list());
	}

	/**
	 * Appends the conditions on the job {@code j} of {@code query}'s state, pool and its
	 * labels from the {@code firstLabel}th on (each an {@code exists} on job_label).
	 */
	private static void appendFilters(StringBuilder sql, Map<String, Object> params, Query query, int firstLabel) {
		if (query.state() != null) {
			sql.append(" and j.state = :state");
			params.put("state", query.state().name());
		}
		if (query.pool() != null) {
			sql.append(" and j.pool = :pool");
			params.put("pool", query.pool());
		}
		List<Map.Entry<String, String>> labels = (query.labels() != null) ? List.copyOf(query.labels().entrySet())
				: List.of();
		for (int i = firstLabel; i < labels.size(); i++) {
			sql.append(" and exists (select 1 from job_label o where o.job_id = j.id and o.label_name = :n")
				.append(i)
				.append(" and o.label_value = :v")
				.append(i)
				.append(")");
			params.put("n" + i, labels.get(i).getKey());
			params.put("v" + i, labels.get(i).getValue());
		}
	}

	@Override
	public List<Job> inState(JobState state) {
		return read("read " + state + " jobs",
				() -> jdbc.sql("select " + COLUMNS + " from job where state = ? order by id")
					.param(state.name())
					.query(this::row)
					.list());
	}

	@Override
	public int deleteFinishedBefore(Instant cutoff, int batch) {
		int[] deleted = new int[1];
		write("delete finished jobs", () -> {
			List<String> ids = jdbc.sql("select id from job where finished_at < ? order by finished_at limit ?")
				.params(utc(cutoff), batch)
				.query(String.class)
				.list();
			if (ids.isEmpty()) {
				return null;
			}
			jdbc.sql("delete from job_label where job_id in (:ids)").param("ids", ids).update();
			deleted[0] = jdbc.sql("delete from job where id in (:ids)").param("ids", ids).update();
			return StoreJournal.Redo.deleted(ids);
		});
		return deleted[0];
	}

	@Override
	public String writeProblem() {
		return writeProblem;
	}

	@Override
	public boolean probeWrite() {
		try {
			if (journal != null) {
				// H2 writes its file later; what must be writable now is the journal.
				groupCommit.run(() -> {
					jdbc.sql("update store_probe set touched_at = ? where id = 1").param(utc(Instant.now())).update();
					return StoreJournal.Redo.probe();
				});
			}
			else {
				jdbc.sql("update store_probe set touched_at = ? where id = 1").param(utc(Instant.now())).update();
			}
			writeProblem = null;
			return true;
		}
		catch (DataAccessException | TransactionException ex) {
			writeProblem = ex.getMostSpecificCause().getMessage();
			return false;
		}
	}

	/**
	 * {@code sql} with a unique violation of the Idempotency-Key index turned into an
	 * {@link IdempotencyKeyTakenException}: not a {@link DataAccessException}, so the
	 * store is not reported unwritable. H2 and PostgreSQL both name the index in their
	 * message (H2 in upper case).
	 */
	private static Supplier<StoreJournal.Redo> refusingATakenKey(String idempotencyKey,
			Supplier<StoreJournal.Redo> sql) {
		return () -> {
			try {
				return sql.get();
			}
			catch (DuplicateKeyException ex) {
				String message = ex.getMostSpecificCause().getMessage();
				if (idempotencyKey != null && message != null
						&& message.toLowerCase(Locale.ROOT).contains(IDEMPOTENCY_KEY_INDEX)) {
					throw new IdempotencyKeyTakenException(idempotencyKey, ex);
				}
				throw ex;
			}
		};
	}

	/**
	 * Runs {@code sql} as part of the next group commit; returns once it is committed.
	 */
	private void write(String what, Supplier<StoreJournal.Redo> sql) {
		guarded(what, () -> {
			groupCommit.run(sql);
			return null;
		});
	}

	private <T> T guarded(String what, Supplier<T> write) {
		try {
			T result = write.get();
			if (writeProblem != null) {
				log.info("The job store can be written again");
				writeProblem = null;
			}
			return result;
		}
		catch (DataAccessException | TransactionException ex) {
			// TransactionException too: a failed rollback or commit is not a
			// DataAccessException, and must not reach a client as a 500.
			writeProblem = ex.getMostSpecificCause().getMessage();
			log.error("Could not {}: {}", what, writeProblem);
			throw new StoreUnavailableException(writeProblem, ex);
		}
	}

	/**
	 * Runs a query; a store that cannot be reached is a 503 for the client, like a failed
	 * write, and does not count as a failed write.
	 */
	private <T> T read(String what, Supplier<T> query) {
		try {
			return query.get();
		}
		catch (DataAccessException | TransactionException ex) {
			String problem = ex.getMostSpecificCause().getMessage();
			log.warn("Could not {}: {}", what, problem);
			throw StoreUnavailableException.reading(problem, ex);
		}
	}

	/** Every column's statement parameter, for an insert. */
	private Map<String, Object> parameters(Job.Persisted p) {
		Map<String, Object> params = stateParameters(p);
		params.put("pool", p.pool());
		params.put("kind", p.request().kind().name());
		params.put("request", json.writeValueAsString(p.request()));
		params.put("timeoutMs", p.timeout().toMillis());
		params.put("daemon", Boolean.TRUE.equals(p.request().daemon()));
		params.put("submittedAt", utc(p.submittedAt()));
		params.put("idempotencyKey", p.idempotencyKey());
		params.put("requestDigest", p.requestDigest());
		params.put("retryPolicy", p.retry().retries() ? json.writeValueAsString(p.retry()) : null);
		return params;
	}

	/**
	 * The id and the parameters of {@link #STATE_COLUMNS} but the event number, for a
	 * state change (which need not write the request as JSON again).
	 */
	private Map<String, Object> stateParameters(Job.Persisted p) {
		Map<String, Object> params = new HashMap<>(64);
		params.put("id", p.id());
		params.put("state", p.state().name());
		params.put("startedAt", utc(p.startedAt()));
		params.put("finishedAt", utc(p.finishedAt()));
		params.put("pid", p.pid());
		params.put("pidStartTicks", p.pidStartTicks());
		params.put("instance", p.instance());
		params.put("exitCode", p.exitCode());
		params.put("signal", p.signal());
		params.put("result", (p.result() != null) ? json.writeValueAsString(p.result()) : null);
		params.put("error", p.error());
		output(params, "stdout", p.stdout());
		output(params, "stderr", p.stderr());
		params.put("terminationReason", (p.terminationReason() != null) ? p.terminationReason().name() : null);
		params.put("usage", (p.usage() != null) ? json.writeValueAsString(p.usage()) : null);
		params.put("attempt", p.attempt());
		params.put("attempts", p.attempts().isEmpty() ? null : json.writeValueAsString(p.attempts()));
		params.put("nextAttemptAt", utc(p.nextAttemptAt()));
		return params;
	}

	private static void output(Map<String, Object> params, String stream, CapturedOutput output) {
		params.put(stream + "Text", (output != null) ? output.text() : null);
		params.put(stream + "Bytes", (output != null) ? output.bytes() : null);
		params.put(stream + "Truncated", (output != null) ? output.truncated() : null);
		params.put(stream + "Kept", (output != null) ? output.kept() : null);
		params.put(stream + "KeptError", (output != null) ? output.keptError() : null);
	}

	private Job row(ResultSet rs, int rowNum) throws SQLException {
		String result = rs.getString("result");
		String reason = rs.getString("termination_reason");
		String usage = rs.getString("resource_usage");
		String retry = rs.getString("retry_policy");
		String attempts = rs.getString("attempts");
		Integer attempt = rs.getObject("attempt", Integer.class);
		return Job.restore(new Job.Persisted(rs.getString("id"), rs.getString("pool"),
				json.readValue(rs.getString("request"), JobRequest.class), Duration.ofMillis(rs.getLong("timeout_ms")),
				instant(rs, "submitted_at"), JobState.valueOf(rs.getString("state")), instant(rs, "started_at"),
				instant(rs, "finished_at"), rs.getObject("pid", Long.class),
				rs.getObject("pid_start_ticks", Long.class), rs.getString("instance"),
				rs.getObject("exit_code", Integer.class), rs.getObject("signal", Integer.class),
				(result != null) ? json.readValue(result, Object.class) : null, rs.getString("error"),
				output(rs, "stdout"), output(rs, "stderr"), (reason != null) ? TerminationReason.valueOf(reason) : null,
				rs.getString("idempotency_key"), rs.getString("request_digest"),
				(usage != null) ? json.readValue(usage, ResourceUsage.class) : null,
				(retry != null) ? json.readValue(retry, RetryPolicy.class) : RetryPolicy.NONE,
				(attempt != null) ? attempt : 1,
				(attempts != null) ? List.of(json.readValue(attempts, Job.Attempt[].class)) : List.of(),
				instant(rs, "next_attempt_at")));
	}

	private static CapturedOutput output(ResultSet rs, String stream) throws SQLException {
		Long bytes = rs.getObject(stream + "_bytes", Long.class);
		return (bytes == null) ? null
				: new CapturedOutput(rs.getString(stream + "_text"), bytes, rs.getBoolean(stream + "_truncated"),
						rs.getObject(stream + "_kept", Long.class), rs.getString(stream + "_kept_error"));
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	private static OffsetDateTime utc(Instant instant) {
		return (instant != null) ? instant.atOffset(ZoneOffset.UTC) : null;
	}

}
