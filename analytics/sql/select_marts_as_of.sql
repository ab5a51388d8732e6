select max(as_of) as as_of from marts.pattern_analytics
