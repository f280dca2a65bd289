-- How much of each stream a process job's output file keeps whole, and why it stopped short.
alter table job add column stdout_kept bigint;
alter table job add column stdout_kept_error varchar(1024);
alter table job add column stderr_kept bigint;
alter table job add column stderr_kept_error varchar(1024);
