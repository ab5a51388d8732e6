"""The shared base every package may import: settings, errors, connections, the embedded
Postgres, migrations. It imports nothing of ours."""
