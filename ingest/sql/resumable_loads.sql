-- Earlier loads of this file that covered a shorter prefix of it: if that prefix is unchanged,
-- the file grew by appending and the next load resumes where the last one stopped.
select
    batch_id,
    content_sha256,
    content_bytes,
    resume_offset,
    resume_line
from audit.loads
where
    entity = %(entity)s
    and source_name = %(source_name)s
    and status = 'succeeded'
    and content_bytes < %(size)s
    and resume_offset is not null
    and content_sha256 is not null
order by started_at desc
limit 20
