-- The Idempotency-Key a submission came with, and the SHA-256 (hex) of its request, so that a
-- retried POST finds its first job and a reused key with another body is told apart. The key
-- lives as long as its job: retention deletes the row and the key with it. The unique index
-- decides between concurrent submissions with one key; both H2 and PostgreSQL let any number of
-- rows have no key. The same SQL runs on H2 (the embedded default) and PostgreSQL.
alter table job add column idempotency_key varchar(255);
alter table job add column request_digest varchar(64);

create unique index job_idempotency_key on job (idempotency_key);
