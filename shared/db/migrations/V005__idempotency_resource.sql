-- V005: an Idempotency-Key whose work takes several transactions (org creation, a saga)
-- records what its first request started, in that request's first transaction; a retry
-- after a crash finds it and resumes that work instead of starting it again. Keys of
-- work done in one transaction never need it: their response commits with the work.
alter table idempotency_keys add column resource text;
