-- A subject's measures over the eight weeks before a day, and the day itself.
select
    measure,
    measure_date,
    value,
    sample_size
from watch.daily_measures
where subject = %(subject)s and measure_date >= %(since)s and measure_date <= %(day)s
order by measure, measure_date
