-- depends: 0007.replay_source
-- Issue 10: nothing changes on its way in, and a gate holds until a person acts.
--
-- audit.rejects
--   raw_bytes    the record's bytes exactly as received, kept only when raw_record cannot be
--                (bytes that are not UTF-8, or a NUL): raw_record then holds a readable, escaped
--                copy, and a replay reads raw_bytes, never the escaped copy
--   reject_hash  xxh3-128 of (entity, source_name, the raw bytes): a record re-read by a later
--                extract or an appended file is rejected once, then counted as a duplicate
-- audit.loads
--   content_bytes        the length of the file prefix whose sha256 is content_sha256
--   resume_offset        where the next load of the same file, grown by appending, resumes
--                        (after the last complete line or CSV record), and resume_line, the
--                        line number there
--   resumed_from_batch   the batch whose prefix this one continued (an appended file)
--   duplicate_rejects    of duplicates_skipped, records rejected before (not written again)
--   held_at              set when the batch's reject rate passed FORGE_REJECT_RATE_THRESHOLD:
--                        its rows stay out of the marts until it is released
-- audit.batch_releases: a held batch released by `rejects accept` or by replaying its rejects

alter table audit.rejects add column if not exists raw_bytes bytea;
alter table audit.rejects add column if not exists reject_hash bytea;
create unique index if not exists rejects_reject_hash_key on audit.rejects (reject_hash);

-- Rejects written before this migration kept only an escaped copy of records that were not
-- UTF-8 or held a NUL: the bytes received are lost, so such a reject cannot be replayed (it would
-- load the escape text instead of the value sent). Say so on the reject, once.
update audit.rejects
set
    replayed_at = now(),
    replay_outcome = 'not replayable: only an escaped copy of this record was kept '
    || '(before raw bytes were stored); ask the source to send it again'
where
    raw_bytes is null
    and replayed_at is null
    and (reason like '%not valid UTF-8%' or reason like '%NUL character%');

alter table audit.loads add column if not exists content_bytes bigint;
alter table audit.loads add column if not exists resume_offset bigint;
alter table audit.loads add column if not exists resume_line bigint;
alter table audit.loads add column if not exists resumed_from_batch text;
alter table audit.loads add column if not exists duplicate_rejects bigint not null default 0;
alter table audit.loads add column if not exists held_at timestamptz;

create index if not exists loads_held_at_idx on audit.loads (held_at) where held_at is not null;

-- (no foreign key to audit.loads: the loader checks the batch exists, and the audit tables are
-- emptied independently in tests)
create table if not exists audit.batch_releases (
    batch_id text primary key,
    released_at timestamptz not null default now(),
    released_by text not null check (released_by in ('accept', 'replay')),
    release_reason text not null check (release_reason <> ''),
    released_by_login text not null default current_user
);

create or replace view audit.held_batches as
select
    loads.batch_id,
    loads.entity,
    loads.held_at,
    (
        loads.rows_rejected::double precision
        / nullif(loads.lines_read - loads.duplicates_skipped, 0)
    ) as reject_rate
from audit.loads as loads
left join audit.batch_releases as releases
    on loads.batch_id = releases.batch_id
where loads.held_at is not null and releases.batch_id is null;

create or replace view audit.released_batches as
select
    loads.batch_id,
    loads.entity,
    loads.held_at,
    releases.released_at,
    releases.released_by,
    releases.release_reason
from audit.loads as loads
inner join audit.batch_releases as releases
    on loads.batch_id = releases.batch_id;

grant select, insert on audit.batch_releases to forge_loader;
grant select on audit.batch_releases to forge_transformer;
grant usage on schema audit to forge_analyst;
grant select on audit.held_batches, audit.released_batches to forge_transformer, forge_analyst;
