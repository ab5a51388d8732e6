"""What the landing sensor sees: files new since its last look, and the run that loads them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ingest.sources.files.load import LandingFile
from orchestration_dagster.lib.names import REFRESH_TAG, raw_asset_key

SETTLE_SECONDS = 30.0


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


def landing_run_request(
    files: Sequence[LandingFile], seen: Mapping[str, str], op_names: Mapping[dg.AssetKey, str]
) -> dg.RunRequest:
    """One run: the raw tables of the files, each told to load only those files.

    The run key is derived from the files and their fingerprints, so even a lost cursor cannot
    start the same load twice.
    """
    files_by_key: dict[dg.AssetKey, list[str]] = {}
    for file in files:
        key = raw_asset_key(file.entity.system, file.entity.name)
        files_by_key.setdefault(key, []).append(str(file.path.resolve()))
    identity = "\n".join(
        sorted(f"{path}|{seen[path]}" for paths in files_by_key.values() for path in paths)
    )
    return dg.RunRequest(
        run_key=f"landing-{hashlib.sha256(identity.encode()).hexdigest()[:20]}",
        run_config={
            "ops": {
                op_names[key]: {"config": {"files": sorted(paths)}}
                for key, paths in files_by_key.items()
            }
        },
        tags={
            REFRESH_TAG: "landing",
            "forge/landing_files": str(len(files)),
            "forge/landing_entities": ", ".join(sorted(key.path[-1] for key in files_by_key)),
        },
        asset_selection=sorted(files_by_key, key=lambda key: key.to_user_string()),
    )
