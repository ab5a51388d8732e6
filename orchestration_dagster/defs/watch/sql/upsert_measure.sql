insert into watch.daily_measures (
    subject, measure, measure_date, value, sample_size, run_id, measured_at
)
values (%(subject)s, %(measure)s, %(day)s, %(value)s, %(sample_size)s, %(run_id)s, now())
on conflict (subject, measure, measure_date) do update
    set
        value = excluded.value,
        sample_size = excluded.sample_size,
        run_id = excluded.run_id,
        measured_at = excluded.measured_at
