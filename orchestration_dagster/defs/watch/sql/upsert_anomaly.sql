insert into watch.anomalies (
    subject,
    measure,
    measure_date,
    value,
    expected,
    low,
    high,
    score,
    history_days,
    check_name,
    severity,
    run_id, detected_at
) values (
    %(subject)s, %(measure)s, %(day)s, %(value)s, %(expected)s, %(low)s, %(high)s, %(score)s,
    %(history_days)s, %(check_name)s, %(severity)s, %(run_id)s, now()
)
on conflict (subject, measure, measure_date) do update
    set
        value = excluded.value,
        expected = excluded.expected,
        low = excluded.low,
        high = excluded.high,
        score = excluded.score,
        history_days = excluded.history_days,
        check_name = excluded.check_name,
        severity = excluded.severity,
        run_id = excluded.run_id,
        detected_at = excluded.detected_at
