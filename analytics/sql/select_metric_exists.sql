select exists(
    select from marts.dim_metrics
    where metric = %(metric)s
) as known
