-- depends: 0008.exact_rejects_and_held_batches
-- Analysts read staging, intermediate and marts, never the load audit (docs/analyst-guide.md):
-- 0008 let forge_analyst into `audit` for the held-batch views, which only dbt needs (staging's
-- views read them with their owner's rights, so analysts querying staging are unaffected).
revoke select on audit.held_batches, audit.released_batches from forge_analyst;
revoke usage on schema audit from forge_analyst;
