-- Listing filtered by state and pool together reads this index in id order and stops at the
-- page size (see JdbcJobStore.list).
create index job_state_pool_id on job (state, pool, id);
