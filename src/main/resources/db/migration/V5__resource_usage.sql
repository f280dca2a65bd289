-- What a finished process job used (CPU time, peak memory, processes, and where the figures come
-- from: its cgroup or the leader's rusage), as the JSON of the job view's `usage`. One column, not
-- five: it is only ever read with the job, never queried. The same SQL runs on H2 and PostgreSQL.
alter table job add column resource_usage varchar(1024);
