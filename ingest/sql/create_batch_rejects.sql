-- the rejects of the batch being loaded, before they are checked against audit.rejects
create temporary table if not exists forge_batch_rejects (
    line_number bigint,
    reason text not null,
    raw_record text,
    raw_bytes bytea,
    reject_hash bytea not null
) on commit drop
