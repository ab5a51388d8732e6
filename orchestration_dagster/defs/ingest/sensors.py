"""The landing sensor: new files start a load of only those files and a build of what they feed.

The cursor remembers every landing file by size and modification time, so a file triggers once;
a file whose content changes (new size or time) is a new delivery and triggers again. A file
still being written (modified in the last SETTLE_SECONDS) waits for the next evaluation. The run
key is derived from the files, so even a lost cursor cannot start the same load twice, and the
load itself skips any file whose name and content were loaded before.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from core.exceptions import LandingError
from ingest.sources.files.load import LandingFile, discover
from orchestration_dagster.defs.ingest.assets import raw_asset_key, raw_assets
from orchestration_dagster.defs.ingest.resources import WarehouseResource
from orchestration_dagster.defs.nightly import REFRESH_TAG
from orchestration_dagster.defs.schedules import refresh_selection

SETTLE_SECONDS = 30.0
LANDING_SENSOR_INTERVAL_SECONDS = 60

_RAW_OP_BY_KEY = {key: asset.op.name for asset in raw_assets for key in asset.keys}


@dataclass(frozen=True)
class LandingScan:
    """What a look at the landing directory found, against what earlier looks had seen."""

    new: list[LandingFile]
    seen: dict[str, str]  # path -> fingerprint, of every settled file present now
    unsettled: list[Path]


def scan_landing(
    files: Sequence[LandingFile],
    seen: Mapping[str, str],
    *,
    now: float,
    settle_seconds: float = SETTLE_SECONDS,
) -> LandingScan:
    """Files not seen before (or changed since), once they have been still for settle_seconds."""
    new: list[LandingFile] = []
    current: dict[str, str] = {}
    unsettled: list[Path] = []
    for file in files:
        try:
            stat = file.path.stat()
        except FileNotFoundError:  # moved away between listing and looking
            continue
        if now - stat.st_mtime < settle_seconds:
            unsettled.append(file.path)
            continue
        path = str(file.path.resolve())
        current[path] = f"{stat.st_size}:{stat.st_mtime_ns}"
        if seen.get(path) != current[path]:
            new.append(file)
    return LandingScan(new, current, unsettled)


def landing_run_request(scan: LandingScan) -> dg.RunRequest:
    """One run: the raw tables of the new files, each told to load only those files."""
    files_by_key: dict[dg.AssetKey, list[str]] = {}
    for file in scan.new:
        key = raw_asset_key(file.entity.system, file.entity.name)
        files_by_key.setdefault(key, []).append(str(file.path.resolve()))
    identity = "\n".join(
        sorted(f"{path}|{scan.seen[path]}" for paths in files_by_key.values() for path in paths)
    )
    return dg.RunRequest(
        run_key=f"landing-{hashlib.sha256(identity.encode()).hexdigest()[:20]}",
        run_config={
            "ops": {
                _RAW_OP_BY_KEY[key]: {"config": {"files": sorted(paths)}}
                for key, paths in files_by_key.items()
            }
        },
        tags={
            REFRESH_TAG: "landing",
            "forge/landing_files": str(len(scan.new)),
            "forge/landing_entities": ", ".join(sorted(key.path[-1] for key in files_by_key)),
        },
        asset_selection=sorted(files_by_key, key=lambda key: key.to_user_string()),
    )


@dg.sensor(
    name="landing_files_sensor",
    target=refresh_selection,
    minimum_interval_seconds=LANDING_SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "New files in the landing directory start a load of only those files and a build of "
        "the models downstream of their raw tables; each file triggers once."
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
    if not scan.new:
        waiting = f"; {len(scan.unsettled)} still being written" if scan.unsettled else ""
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"no new files in {landing}{waiting}"), cursor=cursor
        )
    request = landing_run_request(scan)
    assert context.repository_def is not None
    selection = downstream_of(request.asset_selection or [], context.repository_def)
    graph = context.repository_def.asset_graph
    # dbt's assets, daily when the project has incremental models: the day the files arrived
    partitioned = any(graph.get(key).partitions_def is not None for key in selection[0])
    context.log.info(
        f"{len(scan.new)} new file(s): "
        + ", ".join(str(file.path.relative_to(landing)) for file in scan.new)
    )
    return dg.SensorResult(
        run_requests=[
            request.with_replaced_attrs(
                asset_selection=sorted(selection[0], key=lambda k: k.to_user_string()),
                asset_check_keys=sorted(selection[1], key=lambda k: k.to_user_string()),
                partition_key=dt.datetime.now(dt.UTC).date().isoformat() if partitioned else None,
            )
        ],
        cursor=cursor,
    )


def downstream_of(
    keys: Sequence[dg.AssetKey], repository: dg.RepositoryDefinition
) -> tuple[AbstractSet[dg.AssetKey], AbstractSet[dg.AssetCheckKey]]:
    """The assets and checks a refresh of `keys` runs: the keys, all downstream, their checks."""
    graph = repository.asset_graph
    selection = refresh_selection & dg.AssetSelection.assets(*keys).downstream()
    return selection.resolve(graph), selection.resolve_checks(graph)
