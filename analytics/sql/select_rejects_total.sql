select count(*) as rejected from audit.rejects
