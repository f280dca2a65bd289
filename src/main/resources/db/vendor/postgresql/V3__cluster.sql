-- Cluster mode: every service on one PostgreSQL is a node. Nodes register here and renew a lease
-- judged by the database's clock; jobs are claimed by the node that runs them (job.instance).

create table node (
    id               varchar(36)  not null primary key, -- the node's JOBEXEC_INSTANCE marker
    host             varchar(255) not null,             -- host name, for people
    host_key         varchar(255) not null,             -- host name, boot id and pid namespace: same key, same /proc
    pid              bigint       not null,             -- the node's JVM, so that a node on the same host can tell
    pid_start_ticks  bigint       not null,             --   at once that an earlier run is dead
    url              varchar(512) not null,             -- where other nodes and clients reach it
    pools            text         not null,             -- the pools it serves, as JSON
    state            varchar(16)  not null,             -- ACTIVE, DRAINING, DEAD
    started_at       timestamp with time zone not null,
    renewed_at       timestamp with time zone not null,
    lease_expires_at timestamp with time zone not null,
    settled_by       varchar(36),                       -- the node that settled it once it was dead
    settled_at       timestamp with time zone
);

-- A cancel sent to a node that does not run the job: the owner sees the flag (notified, or on its
-- next heartbeat) and terminates the job.
alter table job add column cancel_requested boolean not null default false;

-- The queue: unclaimed queued jobs per pool in submission order (claims and the capacity count).
create index job_waiting on job (pool, id) where state = 'QUEUED' and instance is null;

-- The jobs a node holds: settled when it dies, checked for cancel requests on every heartbeat.
create index job_held on job (instance) where state in ('QUEUED', 'RUNNING');
