-- depends: 0004.audit_tables
-- Incremental extracts remember how far they got, per source and entity; the value advances
-- in the same transaction as the batch that read up to it, so a crash never skips a record.
create table if not exists audit.watermarks (
    source_name text not null,
    entity text not null,
    watermark jsonb not null,
    batch_id text not null,
    updated_at timestamptz not null default now(),
    primary key (source_name, entity)
);

-- A rejected record can be replayed after a fix; what became of it is recorded on the reject.
alter table audit.rejects add column if not exists replayed_at timestamptz;
alter table audit.rejects add column if not exists replay_batch_id text;
alter table audit.rejects add column if not exists replay_outcome text;

grant select, insert, update on audit.watermarks to forge_loader;
grant select on audit.watermarks to forge_transformer;
