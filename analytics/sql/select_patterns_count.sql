select count(*) as total from marts.pattern_analytics
