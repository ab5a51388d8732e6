insert into audit.loads (
    batch_id, entity, source, source_name, content_sha256, lines_read, rows_loaded,
    rows_rejected, duplicates_skipped, new_fields, started_at, finished_at, status, error,
    csv_header, content_bytes, resume_offset, resume_line, resumed_from_batch,
    duplicate_rejects, held_at
) values (
    %(batch_id)s, %(entity)s, %(source)s, %(source_name)s, %(content_sha256)s, %(lines_read)s,
    %(rows_loaded)s, %(rows_rejected)s, %(duplicates_skipped)s, %(new_fields)s, %(started_at)s,
    clock_timestamp(), %(status)s, %(error)s, %(csv_header)s, %(content_bytes)s,
    %(resume_offset)s, %(resume_line)s, %(resumed_from_batch)s, %(duplicate_rejects)s,
    case when %(held)s then clock_timestamp() end
)
