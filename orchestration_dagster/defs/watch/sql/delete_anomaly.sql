-- A day judged again and found normal (a night completed by a later load) is no anomaly.
delete from watch.anomalies
where subject = %(subject)s and measure = %(measure)s and measure_date = %(day)s
