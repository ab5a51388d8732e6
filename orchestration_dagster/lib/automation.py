"""Whether sensors and schedules start running: off unless FORGE_AUTOMATION turns them on.

Looking never changes anything: `make dev` shows the schedule and sensors stopped (an operator
may start each in the UI); production sets FORGE_AUTOMATION=on and they start with the daemon.
"""

from __future__ import annotations

import dagster as dg

from core.settings import get_settings


def sensor_status() -> dg.DefaultSensorStatus:
    """RUNNING with FORGE_AUTOMATION=on, else STOPPED."""
    on = get_settings().automation
    return dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED


def schedule_status() -> dg.DefaultScheduleStatus:
    """RUNNING with FORGE_AUTOMATION=on, else STOPPED."""
    on = get_settings().automation
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED
