-- One metric of marts.metric_values at one grain, its periods from %(first_start)s to
-- %(last_start)s: the total (dimension null) and, when %(dimension)s is not null, the split by
-- it. Only the window's rows are read, through the index on (metric, grain, dimension,
-- period_start), however far back the mart reaches.
select
    period_start,
    dimension_value,
    numerator,
    denominator,
    value,
    sample_size,
    dimension is not null as is_split
from marts.metric_values
where
    metric = %(metric)s
    and grain = %(grain)s
    and (dimension is null or dimension = %(dimension)s)
    and period_start between %(first_start)s and %(last_start)s
order by is_split, dimension_value nulls first, period_start
