"""dbt area: staging, intermediate and marts models, their tests as asset checks."""
