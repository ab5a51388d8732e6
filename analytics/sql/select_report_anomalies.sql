-- The anomalies of the last 30 days, newest first.
select
    subject,
    measure,
    measure_date,
    value,
    expected,
    low,
    high,
    severity
from watch.anomalies
where measure_date >= current_date - 30
order by measure_date desc, subject asc, measure asc
limit %(limit)s
