"""The landing sensor: new files start a load of only those files and a build of what they feed.

The cursor remembers every landing file by size and modification time, so a file triggers once;
a file whose content changes (new size or time) is a new delivery and triggers again. A file
still being written (modified in the last 30 s) waits for the next evaluation. A file new to the
cursor (a fresh cursor sees every file) that audit.loads shows loaded before, by name and
content, is remembered without a run: the sensor never re-launches what was loaded.
"""

import json
import time
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import dagster as dg
import psycopg

from core.db import connect
from core.exceptions import ForgeError, LandingError
from ingest.sources.files.load import discover, loaded_before
from orchestration_dagster.defs.ingest.assets import raw_assets
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.lib.automation import sensor_status
from orchestration_dagster.lib.landing import landing_run_request, scan_landing

LANDING_SENSOR_INTERVAL_SECONDS = 60

_RAW_OP_BY_KEY = {key: asset.op.name for asset in raw_assets for key in asset.keys}


@dg.sensor(
    name="landing_files_sensor",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=LANDING_SENSOR_INTERVAL_SECONDS,
    default_status=sensor_status(),
    description=(
        "New files in the landing directory start a load of only those files and a build of "
        "the models downstream of their raw tables; each file triggers once, and never when "
        "audit.loads shows it loaded before."
    ),
)
def landing_files_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    landing = warehouse.landing()
    try:
        files = discover(landing)
    except LandingError as error:
        return dg.SkipReason(str(error))
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    scan = scan_landing(files, seen, now=time.time())
    cursor = json.dumps(scan.seen, sort_keys=True)
    waiting = f"; {len(scan.unsettled)} still being written" if scan.unsettled else ""
    if not scan.new:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no new files in {landing}{waiting}"), cursor=cursor
        )
    try:
        with connect(warehouse.prepared_dsn()) as conn:
            loaded = {file.path for file in scan.new if loaded_before(conn, file)}
    except (ForgeError, psycopg.Error) as error:
        # the cursor stays where it was: the files are looked at again next time
        return dg.SkipReason(f"cannot check audit.loads for {len(scan.new)} new file(s): {error}")
    new = [file for file in scan.new if file.path not in loaded]
    if loaded:
        context.log.info(f"{len(loaded)} file(s) loaded before (audit.loads), not loaded again")
    if not new:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"every new file in {landing} was loaded before (audit.loads){waiting}"
            ),
            cursor=cursor,
        )
    context.log.info(
        f"{len(new)} new file(s): " + ", ".join(str(f.path.relative_to(landing)) for f in new)
    )
    request = landing_run_request(new, scan.seen, _RAW_OP_BY_KEY)
    assert context.repository_def is not None
    assets, checks = downstream_of(request.asset_selection or [], context.repository_def)
    return dg.SensorResult(
        run_requests=[
            request.with_replaced_attrs(
                asset_selection=sorted(assets, key=lambda key: key.to_user_string()),
                asset_check_keys=sorted(checks, key=lambda key: key.to_user_string()),
            )
        ],
        cursor=cursor,
    )


def downstream_of(
    keys: Sequence[dg.AssetKey], repository: dg.RepositoryDefinition
) -> tuple[AbstractSet[dg.AssetKey], AbstractSet[dg.AssetCheckKey]]:
    """The assets and checks a refresh of `keys` runs: the keys, all downstream, their checks."""
    graph = repository.asset_graph
    selection = dg.AssetSelection.assets(*keys).downstream()
    return selection.resolve(graph), selection.resolve_checks(graph)
