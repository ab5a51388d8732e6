-- What the run's watch found: each anomaly, then its restatements counted per metric.
with

anomalies as (
    select
        'anomaly' as kind,
        subject || ' ' || measure || ' on ' || measure_date::text || ': '
        || round(value::numeric, 4)::text || ', expected about '
        || round(expected::numeric, 4)::text as detail,
        1 as section,
        subject || measure as sort_key
    from watch.anomalies
    where run_id = %(run_id)s
),

restatements as (
    select
        'restated' as kind,
        metric || ': ' || count(*)::text || ' published value(s) of closed periods changed'
        || ' (watch.restatements)' as detail,
        2 as section,
        metric as sort_key
    from watch.restatements
    where run_id = %(run_id)s
    group by metric
),

final as (
    select * from anomalies
    union all
    select * from restatements
)

select
    kind,
    detail
from final
order by section, sort_key
