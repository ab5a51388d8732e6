-- depends: 0003.raw_tables
-- The load audit: part of the public interface (docs/contract.md section 2).

create table if not exists audit.loads (
    batch_id text primary key,
    entity text not null,
    source text not null check (source in ('files', 'postgres', 'api')),
    source_name text not null,
    content_sha256 text,
    lines_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_rejected bigint not null default 0,
    duplicates_skipped bigint not null default 0,
    new_fields text[],
    started_at timestamptz not null,
    finished_at timestamptz,
    status text not null check (status in ('succeeded', 'failed')),
    error text,
    check (status <> 'succeeded' or lines_read = rows_loaded + rows_rejected + duplicates_skipped)
);

create index if not exists loads_entity_source_name_idx
on audit.loads (entity, source_name, content_sha256);

create table if not exists audit.rejects (
    reject_id bigint generated always as identity primary key,
    batch_id text not null,
    entity text not null,
    source_name text not null,
    line_number bigint,
    reason text not null,
    raw_record text,
    rejected_at timestamptz not null default now()
);

create index if not exists rejects_batch_id_idx on audit.rejects (batch_id);
create index if not exists rejects_entity_rejected_at_idx on audit.rejects (entity, rejected_at);
