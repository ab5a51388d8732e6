-- depends: 0011.duplicate_index_led_by_arrival
-- Issue 12: the staging tables kept incrementally (stg_prompt_runner__orchestration_sessions,
-- stg_prompt_runner__orchestration_code_metrics, stg_dataforge__project_outcomes) recompute each
-- record that has a version loaded since their last build from all its versions in raw, since
-- an older version may arrive last. Without an index on the record's id, reading those
-- versions was a scan of the whole raw table each night: 5.1 s for sessions at 10M events
-- (bench/dbt_incremental.py's kept database). With it, a lookup per record.
--
-- Ids of these entities are few next to events (about 1 in 17 rows at the bench's mix), and an
-- update reuses an id already in the index: its pages stay in memory. Events and phase metrics
-- get none: events are append-only (their staging is a view over the loads since), and phase
-- metrics are staged in a view.

create index if not exists orchestration_sessions_id_idx on raw.orchestration_sessions (id);
create index if not exists orchestration_code_metrics_id_idx
on raw.orchestration_code_metrics (id);
create index if not exists project_outcomes_id_idx on raw.project_outcomes (id);
