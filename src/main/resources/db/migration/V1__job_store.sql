-- The job store: one row per job, its labels beside it for filtering. The same SQL runs on H2
-- (the embedded default) and PostgreSQL.
create table job (
    id                 varchar(36)  not null primary key, -- UUIDv7: sorts in submission order
    pool               varchar(64)  not null,
    kind               varchar(16)  not null,
    state              varchar(16)  not null,
    request            text         not null,             -- the submission as JSON
    timeout_ms         bigint       not null,
    daemon             boolean      not null,
    submitted_at       timestamp with time zone not null,
    started_at         timestamp with time zone,
    finished_at        timestamp with time zone,
    pid                bigint,
    pid_start_ticks    bigint,                             -- /proc/<pid>/stat field 22: tells a reused pid apart
    instance           varchar(36),                        -- JOBEXEC_INSTANCE of the run that started it
    exit_code          integer,
    signal             integer,
    result             text,                               -- a task's return value as JSON
    error              text,
    stdout_text        text,
    stdout_bytes       bigint,
    stdout_truncated   boolean,
    stderr_text        text,
    stderr_bytes       bigint,
    stderr_truncated   boolean,
    termination_reason varchar(16)
);

create index job_state_id on job (state, id);
create index job_pool_id on job (pool, id);
create index job_finished_at on job (finished_at);

create table job_label (
    job_id varchar(36)   not null references job (id) on delete cascade,
    label_name  varchar(128) not null,
    label_value varchar(256) not null,
    primary key (job_id, label_name)
);

create index job_label_name_value on job_label (label_name, label_value, job_id);

-- One row that health checks rewrite to find out whether the store can be written again.
create table store_probe (
    id         integer not null primary key,
    touched_at timestamp with time zone
);

insert into store_probe (id, touched_at) values (1, null);
