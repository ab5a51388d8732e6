-- depends: 0010.watch
-- Issue 12: an exact re-delivery is still refused by a unique index, but one whose cost does not
-- grow with history (measurements: README.md, "Speed").
--
-- The unique index it replaces, on the random 16-byte record hash alone (xxh3-128 of the
-- record's canonical form, ingest/contract/validate.py; 0003's comment still says md5), put each
-- new row on a random leaf page: COPY of 1M events took 6.6 s into raw against 3.9 s without it,
-- and once the index outgrows memory every row reads a page from disk. An exact duplicate is the
-- same record, so it has the same hash and the same arrival field: a required field that grows
-- as records arrive (updated_at, started_at, submitted_at; the id of append-only events), named
-- beside each entity in ingest/contract/entities.py (Entity.arrival_field; a test checks the two
-- agree).
-- Led by that field, the index takes new rows at its right edge, whose pages stay in memory
-- however long the history; a lookup of a re-delivered record reads one path down the tree.
--
-- The btree on _loaded_at stays: dbt source freshness asks max(_loaded_at), which a BRIN index
-- cannot answer without reading the whole table.

create unique index if not exists orchestration_sessions_arrival_record_hash_key
on raw.orchestration_sessions (updated_at, _record_hash);
create unique index if not exists orchestration_phase_metrics_arrival_record_hash_key
on raw.orchestration_phase_metrics (started_at, _record_hash);
create unique index if not exists orchestration_events_arrival_record_hash_key
on raw.orchestration_events (id, _record_hash);
create unique index if not exists orchestration_code_metrics_arrival_record_hash_key
on raw.orchestration_code_metrics (updated_at, _record_hash);
create unique index if not exists project_outcomes_arrival_record_hash_key
on raw.project_outcomes (updated_at, _record_hash);
create unique index if not exists user_feedback_arrival_record_hash_key
on raw.user_feedback (submitted_at, _record_hash);

drop index if exists raw.orchestration_sessions_record_hash_key;
drop index if exists raw.orchestration_phase_metrics_record_hash_key;
drop index if exists raw.orchestration_events_record_hash_key;
drop index if exists raw.orchestration_code_metrics_record_hash_key;
drop index if exists raw.project_outcomes_record_hash_key;
drop index if exists raw.user_feedback_record_hash_key;
