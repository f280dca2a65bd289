-- The job event stream (GET /api/v1/events): each state change gives the job's row the next
-- number of one sequence, in the order the changes became visible. The embedded store numbers a
-- change as it writes it (one writer at a time); PostgreSQL writes -1 ("to be numbered") and a
-- sequencer numbers what is committed, one node at a time (an advisory lock), from this sequence.
-- Jobs stored before this migration have none and are not in the stream's history.
alter table job add column event_seq bigint;
create index job_by_event_seq on job (event_seq);
create sequence job_event_seq;
