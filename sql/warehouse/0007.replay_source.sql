-- depends: 0005.watermarks_and_replays
-- Rejects can be replayed after a fix: their loads come from source 'replay', and a CSV
-- batch keeps its header so that its rejected records can be read again field by field.
alter table audit.loads drop constraint if exists loads_source_check;
alter table audit.loads add constraint loads_source_check
check (source in ('files', 'postgres', 'api', 'replay'));
alter table audit.loads add column if not exists csv_header text[];
