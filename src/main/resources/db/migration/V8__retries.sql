-- Retries (a job's or its pool's retry policy). The policy is resolved at submission and kept as
-- JSON, so that every node and later run retries the job alike; null for a job that runs once.
-- `attempt` is the number of the current or last attempt (null reads as 1), `attempts` the JSON
-- list of the attempts before it, and `next_attempt_at` when a job QUEUED for its next attempt
-- may start (null: at once). The same SQL runs on H2 and PostgreSQL.
alter table job add column retry_policy varchar(1024);
alter table job add column attempt integer;
alter table job add column attempts text;
alter table job add column next_attempt_at timestamp with time zone;
