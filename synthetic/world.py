"""The synthetic source systems: who works there, what they build, and how each record lives.

Builders are pure functions of a `random.Random`: they return every version of one session or
one project (and of the records hanging off it), oldest first, each with the moment it changed
at the source and the moment it is delivered. `generate.py` picks the files and writes them.
Field names follow the contract (`ingest.contract.entities`); values respect its types, CHECKs
and lengths, so a record only turns bad when `dirty.py` makes it so.
"""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Generic, TypeVar

from ingest.contract.entities import PHASES

Record = dict[str, object]
T = TypeVar("T")

HOUR = 3_600.0
DAY = 86_400.0
WINDOW_DAYS = 90
PROJECT_SHARE = 0.5  # projects scaffolded per session: projects ≈ sessions / 2
_LATE_SHARE = 0.03  # versions delivered a few days after they changed
_FEEDBACK_SHARE = 0.4


class _Weighted(Generic[T]):
    """Options with weights; `pick` is a bisect on precomputed cumulative weights."""

    def __init__(self, options: Sequence[T], weights: Sequence[float]) -> None:
        self.options = tuple(options)
        self._cumulative = tuple(accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        return self.options[bisect_right(self._cumulative, rng.random() * self._cumulative[-1])]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _table(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


# pattern_id | pattern_name | renamed to | languages | components | dependencies | build success
_PATTERNS = _table("""
rest-api         | REST API             | REST API (Express) | TypeScript      | routes controllers middleware openapi | npm      | 0.86
react-spa        | React SPA            |                    | TypeScript CSS  | components hooks router store         | npm      | 0.80
fastapi-service  | FastAPI Service      |                    | Python          | routers models schemas alembic        | pip      | 0.84
nextjs-app       | Next.js App          | Next.js App Router | TypeScript CSS  | pages api-routes components auth      | npm      | 0.74
cli-tool         | CLI Tool             |                    | Python          | commands config output                | pip      | 0.91
graphql-api      | GraphQL API          |                    | TypeScript      | schema resolvers dataloaders          | npm      | 0.70
data-pipeline    | Data Pipeline        |                    | Python SQL      | extract transform load dags           | pip      | 0.66
rust-service     | Rust Microservice    |                    | Rust            | handlers models config                | cargo    | 0.78
chrome-extension | Chrome Extension     | Browser Extension  | TypeScript HTML | manifest popup content-script         | npm      | 0.82
electron-app     | Electron Desktop App |                    | TypeScript HTML | main renderer preload ipc             | npm      | 0.68
ml-notebook      | ML Notebook          |                    | Python          | notebooks features training           | pip conda | 0.72
""")  # noqa: E501
# feature_category | weight | base complexity | feature request ({t}: a part of the product)
_FEATURES = _table("""
api         | 8 | 3.0 | Add pagination to the {t} endpoint
api         | 8 | 4.5 | Expose a {t} export endpoint
api         | 8 | 6.5 | Version the {t} API
ui          | 7 | 3.5 | Add a {t} settings page
ui          | 7 | 2.5 | Make the {t} table sortable
ui          | 6 | 6.0 | Build the {t} dashboard
database    | 4 | 2.0 | Add an index for {t} lookups
database    | 4 | 7.5 | Migrate {t} to a new schema
database    | 4 | 4.0 | Archive old {t} rows
auth        | 4 | 6.5 | Add OAuth2 login for {t}
auth        | 3 | 5.0 | Add role checks to {t}
auth        | 3 | 3.5 | Rotate {t} API keys
infra       | 4 | 5.5 | Containerize the {t} service
infra       | 3 | 2.5 | Add health checks to {t}
infra       | 3 | 8.5 | Move {t} jobs to a queue
testing     | 5 | 4.0 | Add integration tests for {t}
testing     | 4 | 3.0 | Fix flaky {t} tests
docs        | 3 | 1.5 | Document the {t} module
docs        | 3 | 2.0 | Write a {t} runbook
performance | 5 | 4.5 | Cache {t} queries
performance | 4 | 7.5 | Profile and speed up {t}
""")
# phase | median seconds | failure probability | prompt tokens | template versions
_PHASE_TABLE = {
    row[0]: (float(row[1]), float(row[2]), float(row[3]), int(row[4]))
    for row in _table("""
planning       |  180 | 0.02 | 1800 | 3
analysis       |  420 | 0.04 | 4000 | 4
implementation | 1500 | 0.10 | 9000 | 4
testing        |  720 | 0.08 | 5000 | 3
cleaning       |  240 | 0.02 | 2500 | 2
""")
}
_TEMPLATE_STEPS = {
    "planning": "Restate the goal in one sentence. | List the modules you expect to touch. | "
    "Name the risks and how to check them. | Split the work into steps of under an hour.",
    "analysis": "Read the code paths the feature touches. | List public interfaces that change. | "
    "Note missing tests. | Estimate the blast radius. | Flag data migrations.",
    "implementation": "Write the smallest change that works. | Keep functions small and typed. | "
    "Update callers in the same change. | Add a test per behaviour. | Leave no TODOs behind.",
    "testing": "Run the unit tests first. | Add tests for the edge cases you listed. | "
    "Report coverage before and after.",
    "cleaning": "Remove dead code and debug output. | Run the formatter and linter.",
}
_TEMPLATE_FAILURE = {"implementation": (1.0, 0.8, 1.35, 0.65)}  # v3 was a regression v4 fixed
_ERRORS = tuple(
    (row[0], row[1])
    for row in _table("""
ValidationError | template output did not match the expected sections
TimeoutError    | model call timed out after 120s
RateLimitError  | provider returned 429, retry after 30s
ExtractionError | no code block found in the model output
""")
)
_TARGETS = _words("billing user orders inventory search notifications reports checkout analytics")
_FIRST = _words(
    "alice bruno chen dara emeka farah gabriel hana ivan jonas kiri lena mateo nora omar priya "
    "quinn rosa sven tariq uma vera wen yusuf zoe"
)
_LAST = _words("nguyen okafor schmidt garcia kowalski tanaka haddad silva larsen mehta rossi kim")
_LANGUAGE_SETS = ("python yaml sql", "typescript css json", "python typescript", "rust toml")
_STYLES = _words("+00:00 +00:00 +00:00 Z Z +01:00 +02:00 -05:00 -08:00 +05:30 +09:00 naive")
_MODELS = ("claude-3-5-sonnet-20241022", "gpt-4o-2024-08-06", "claude-sonnet-4-20250514")
_ADJECTIVES = _words("swift quiet bright amber lunar brisk cobalt misty solid rapid")
_NOUNS = _words("ledger harbor atlas beacon falcon garden pylon quarry relay summit")
_POSITIVE = _words("fast clean-code good-docs easy-setup good-defaults type-safe")
_NEGATIVE = _words("slow buggy poor-docs complex outdated-deps missing-tests")
_REQUESTS = ("docker-compose support", "monorepo layout", "dark mode", "i18n", "e2e tests")
_COMMENTS = (
    "Worked on the first try.",
    "Had to fix the lint config by hand.",
    "The generated README was very helpful.",
    "Too many dependencies for a small project.",
    "Would love a lighter variant of this pattern.",
)
_SESSION_TYPES = _Weighted(("manual", "automated", "hybrid"), (60, 25, 15))
_WARNINGS = _Weighted((0, 1, 2, 3), (60, 25, 10, 5))
_COPY_METHODS = _Weighted(("clipboard", "manual", "file"), (60, 25, 15))
_INPUT_METHODS = _Weighted(("interactive", "file", "api"), (55, 25, 20))
_EDIT_COUNTS = _Weighted((0, 1, 2, 3, 5), (55, 20, 12, 8, 5))
_GOOD_RATINGS = _Weighted((1, 2, 3, 4, 5), (1, 2, 5, 12, 9))
_BAD_RATINGS = _Weighted((1, 2, 3, 4, 5), (6, 7, 5, 2, 1))
_SATISFIED = _Weighted((1, 2, 3, 4, 5), (1, 2, 6, 14, 10))
_UNSATISFIED = _Weighted((1, 2, 3, 4, 5), (6, 8, 8, 5, 2))
_FEEDBACK_COUNTS = _Weighted((1, 2, 3, 4), (70, 20, 7, 3))
_DATAFORGE_STYLES = _Weighted(("Z", "+00:00", "naive"), (75, 20, 5))
_DEV_FEEDBACK = (
    "Saved me an afternoon.",
    "Testing phase needed two retries.",
    "Plan was good, implementation needed edits.",
    "Output drifted from the plan.",
    "Great for boilerplate, weak on edge cases.",
)


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a record: changed at the source at `at`, delivered at `delivered`."""

    at: float
    delivered: float
    record: Record


@dataclass(frozen=True)
class Developer:
    identifier: str
    user_id: str
    workspace_id: str | None
    time_style: str  # how this developer's runner writes timestamps: "Z", "+02:00", "naive"
    languages: tuple[str, ...]
    skill: float  # multiplies failure probabilities
    projects: tuple[int, ...]  # prompt-runner project ids


@dataclass(frozen=True)
class Pattern:
    pattern_id: str
    name: str
    new_name: str | None  # the name projects carry after the rename
    languages: tuple[str, ...]
    components: tuple[str, ...]
    dependencies: tuple[str, ...]
    build_success: float


@dataclass(frozen=True)
class Template:
    phase: str
    version: int
    text: str
    start: float  # first moment sessions may pick it
    end: float  # last moment sessions may pick it
    failure: float  # multiplies the phase's failure probability
    effort: float  # multiplies the phase's duration and tokens


@dataclass(frozen=True)
class World:
    """Everything that stays fixed while sessions and projects are generated."""

    start: float
    now: float
    developers: _Weighted[Developer]  # the first far more active than the last
    patterns: _Weighted[Pattern]  # the first few dominate
    features: _Weighted[list[str]]  # rows of _FEATURES
    rename_at: float
    templates: dict[str, tuple[Template, ...]]


class IdSequence:
    """A serial column: the next id on each call."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last += 1
        return self._last


@dataclass(frozen=True)
class Ids:
    phase_metrics: IdSequence
    events: IdSequence
    code_metrics: IdSequence


def build_world(rng: random.Random, sessions: int, start: float, now: float) -> World:
    """Developers (a few far more active), patterns (a few dominate), template versions."""
    developers = _developers(rng, max(5, min(80, sessions // 10)))
    patterns = tuple(
        Pattern(
            pattern_id=row[0],
            name=row[1],
            new_name=row[2] or None,
            languages=tuple(row[3].split()),
            components=tuple(row[4].split()),
            dependencies=tuple(row[5].split()),
            build_success=float(row[6]),
        )
        for row in _PATTERNS
    )
    return World(
        start=start,
        now=now,
        developers=_Weighted(developers, [1.0 / rank for rank in range(1, len(developers) + 1)]),
        patterns=_Weighted(patterns, [1.0 / rank**1.3 for rank in range(1, len(patterns) + 1)]),
        features=_Weighted(_FEATURES, [float(row[1]) for row in _FEATURES]),
        rename_at=start + (now - start) * rng.uniform(0.72, 0.82),
        templates={phase: _templates(rng, phase, start, now) for phase in PHASES},
    )


def _developers(rng: random.Random, count: int) -> tuple[Developer, ...]:
    developers = []
    seen: set[str] = set()
    workspaces = [_uuid(rng) for _ in range(3)]
    next_project = 1
    for index in range(count):
        identifier = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}"
        if identifier in seen:
            identifier = f"{identifier}{index}"
        seen.add(identifier)
        project_count = rng.randint(1, 4)
        developers.append(
            Developer(
                identifier=f"{identifier}@forge.dev" if rng.random() < 0.3 else identifier,
                user_id=_uuid(rng),
                workspace_id=None if rng.random() < 0.2 else rng.choice(workspaces),
                time_style=rng.choice(_STYLES),
                languages=tuple(rng.choice(_LANGUAGE_SETS).split()),
                skill=rng.uniform(0.6, 1.5),
                projects=tuple(range(next_project, next_project + project_count)),
            )
        )
        next_project += project_count
    return tuple(developers)


def _templates(rng: random.Random, phase: str, start: float, now: float) -> tuple[Template, ...]:
    """Versions that replace each other: version k+1 is picked before version k stops."""
    count = _PHASE_TABLE[phase][3]
    span = now - start
    failures = _TEMPLATE_FAILURE.get(phase, tuple(1.0 - 0.12 * k for k in range(count)))
    templates = []
    for k in range(count):
        begin = -0.05 if k == 0 else k / count - rng.uniform(0.05, 0.09)
        finish = 1.05 if k == count - 1 else (k + 1) / count + rng.uniform(0.05, 0.09)
        templates.append(
            Template(
                phase=phase,
                version=k + 1,
                text=_template_text(phase, k + 1),
                start=start + begin * span,
                end=start + finish * span,
                failure=failures[k],
                effort=1.0 - 0.06 * k,
            )
        )
    return tuple(templates)


def _template_text(phase: str, version: int) -> str:
    steps = [step.strip() for step in _TEMPLATE_STEPS[phase].split("|")][: version + 1]
    return "\n".join(
        [
            f"# {phase.title()} template v{version}",
            f"You are the {phase} step of prompt-runner.",
            "Feature request: {{feature_request}}",
            *(f"{number}. {step}" for number, step in enumerate(steps, start=1)),
            "Answer in Markdown, one section per step." if version % 2 else "Answer as JSON.",
        ]
    )


def session_times(rng: random.Random, count: int, start: float, now: float) -> Iterator[float]:
    """`count` ascending creation times over the window: busier on weekdays, in working hours,
    and lately (usage grows)."""
    hours = int((now - start) // HOUR)
    weights = [_hour_weight(start + hour * HOUR, hour / max(hours - 1, 1)) for hour in range(hours)]
    cumulative = list(accumulate(weights))
    for index in range(count):
        target = (index + rng.random()) / count * cumulative[-1]
        hour = min(bisect_right(cumulative, target), hours - 1)
        before = cumulative[hour - 1] if hour else 0.0
        inside = min(max((target - before) / weights[hour], 0.0), 0.999)
        yield _ms(min(start + (hour + inside) * HOUR, now - 60.0))


def _hour_weight(moment: float, progress: float) -> float:
    when = datetime.fromtimestamp(moment, UTC)
    weekday = 1.0 if when.weekday() < 5 else 0.35
    daytime = 0.15 + math.exp(-(((when.hour - 13) / 4.5) ** 2))
    return weekday * daytime * (0.6 + 0.8 * progress)


# --------------------------------------------------------------------------- small helpers

_ZONES: dict[str, tuple[int, str]] = {"naive": (0, ""), "Z": (0, "Z")}
_DATES: dict[int, str] = {}
_EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=8192)  # a session's versions repeat its earlier moments
def timestamp(moment: float, style: str) -> str:
    """ISO 8601 with milliseconds, as the producer writes it: `style` is an offset such as
    "+02:00", "Z", or "naive" (UTC without offset). `moment` is on the millisecond grid."""
    zone = _ZONES.get(style)
    if zone is None:
        sign = -1 if style[0] == "-" else 1
        zone = _ZONES[style] = (sign * (int(style[1:3]) * 3600 + int(style[4:6]) * 60), style)
    local = moment + zone[0]
    seconds = math.floor(local)
    millis = round((local - seconds) * 1000)
    if millis == 1000:
        seconds, millis = seconds + 1, 0
    day, rest = divmod(seconds, 86_400)
    text = _DATES.get(day)
    if text is None:
        text = _DATES[day] = (_EPOCH + timedelta(days=day)).isoformat()
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}.{millis:03d}"
    return f"{text}T{clock}{zone[1]}"


def _ms(moment: float) -> float:
    return round(moment, 3)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _delivered(rng: random.Random, moment: float) -> float:
    return moment + _lognormal(rng, 2 * DAY, 0.5) if rng.random() < _LATE_SHARE else moment


def _pick_template(rng: random.Random, templates: Sequence[Template], moment: float) -> Template:
    """The version in use at `moment`; while two overlap, the successor's share ramps up."""
    live = [template for template in templates if template.start <= moment <= template.end]
    if len(live) < 2:
        return live[0] if live else templates[-1]
    old, new = live[-2], live[-1]
    share = (moment - new.start) / max(old.end - new.start, 1.0)
    return new if rng.random() < share else old


def pick_developer(rng: random.Random, world: World) -> Developer:
    return world.developers.pick(rng)


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class _PhaseRun:
    phase: str
    index: int
    template: Template
    idle: float
    started: float
    completed: float | None  # None: still running at `now`
    success: bool | None
    error: tuple[str, str] | None
    recovered: bool
    prompt_tokens: int
    completion_tokens: int
    model: str
    temperature: float
    validation_errors: int
    validation_warnings: int
    copy_method: str
    input_method: str
    edit_count: int


@dataclass(frozen=True)
class _Code:
    """What a session's implementation changed, as its code metrics report it."""

    files: tuple[int, int, int]
    lines: tuple[int, int, int]
    languages: dict[str, int]
    tests: tuple[int, int]
    coverage_before: float
    coverage_gain: float
    complexity: tuple[float, float, float, int]  # cyclomatic, cognitive, maintainability, debt
    docs: tuple[int, int, int, float]
    commits: tuple[str, ...]
    branch: str
    pr_number: int
    build_seconds: tuple[float, float]
    bundle_kb: tuple[int, int] | None


@dataclass(frozen=True)
class _Session:
    """The facts of one session, decided up front; records are snapshots of it in time."""

    id: int
    created: float
    developer: Developer | None
    style: str
    project_id: int | None
    feature_request: str
    area: str
    metadata: dict[str, object]
    complexity: float | None
    session_type: str
    estimated_hours: float
    runs: tuple[_PhaseRun, ...]
    status: str  # the final status; "running" when it has not ended by `now`
    end: float | None
    code: _Code | None


@dataclass(frozen=True)
class SessionBundle:
    session: tuple[Version, ...]
    phase_metrics: tuple[tuple[Version, ...], ...]  # per phase reached: its versions
    events: tuple[Version, ...]
    code_metrics: tuple[Version, ...]


def build_session(
    rng: random.Random, world: World, ids: Ids, session_id: int, created: float
) -> SessionBundle:
    """A session and its phase metrics, events and code metrics, every version up to `now`."""
    session = _plan_session(rng, world, session_id, created)
    versions = _session_versions(rng, world, session)
    return SessionBundle(
        session=versions,
        phase_metrics=tuple(
            _phase_metric_versions(rng, session, run, ids.phase_metrics.next())
            for run in session.runs
        ),
        events=_events(rng, world, session, versions, ids.events),
        code_metrics=_code_metric_versions(rng, world, session, ids.code_metrics),
    )


def _plan_session(rng: random.Random, world: World, session_id: int, created: float) -> _Session:
    developer = pick_developer(rng, world) if rng.random() < 0.92 else None
    feature = world.features.pick(rng)
    base = float(feature[2])
    score = round(_clamp(rng.gauss(base, 1.3), 0.0, 10.0), 1)
    runs, status, end = _run_phases(rng, world, created, score, developer)
    metadata: dict[str, object] = {
        "cli_version": "2.4.1" if created > world.rename_at else "2.3.7",
        "editor": rng.choice(("vscode", "terminal", "jetbrains")),
        "tags": sorted(rng.sample(("backend", "frontend", "refactor", "urgent", "spike"), 2)),
    }
    if rng.random() < 0.9:
        metadata["feature_category"] = feature[0]
    implemented = any(run.phase == "implementation" and run.success for run in runs)
    area = rng.choice(_TARGETS)
    return _Session(
        id=session_id,
        created=created,
        developer=developer,
        style=developer.time_style if developer else "+00:00",
        project_id=rng.choice(developer.projects) if developer and rng.random() < 0.9 else None,
        feature_request=feature[3].format(t=area),
        area=area,
        metadata=metadata,
        complexity=None if rng.random() < 0.12 else score,
        session_type=_SESSION_TYPES.pick(rng),
        estimated_hours=round(_lognormal(rng, 0.5 + score * 0.45, 0.5), 2),
        runs=runs,
        status=status,
        end=end,
        code=_code(rng, runs, score, developer, session_id) if implemented else None,
    )


def _run_phases(
    rng: random.Random, world: World, created: float, score: float, developer: Developer | None
) -> tuple[tuple[_PhaseRun, ...], str, float | None]:
    """Phases in order until one fails, the user cancels, or `now` interrupts the session."""
    runs: list[_PhaseRun] = []
    clock = created
    skill = developer.skill if developer else 1.0
    for index, phase in enumerate(PHASES, start=1):
        median, failure, tokens, _ = _PHASE_TABLE[phase]
        idle = _lognormal(rng, 40.0, 1.1)
        if rng.random() < 0.06:  # a break: lunch, a meeting, the night
            idle += _lognormal(rng, 3 * HOUR, 1.0)
        started = _ms(clock + idle)
        if started >= world.now:
            return tuple(runs), "running", None
        template = _pick_template(rng, world.templates[phase], started)
        effort = (0.6 + score * 0.12) * template.effort
        fail = _clamp(failure * template.failure * skill * (0.5 + score / 10), 0.0, 0.6)
        failed = rng.random() < fail
        errored = failed or rng.random() < fail * 1.5
        completed: float | None = _ms(started + _lognormal(rng, median * effort, 0.55))
        if completed is not None and completed > world.now:
            completed, failed, errored = None, False, False
        prompt_tokens = int(_lognormal(rng, tokens * effort, 0.35))
        runs.append(
            _PhaseRun(
                phase=phase,
                index=index,
                template=template,
                idle=round(started - clock, 3),
                started=started,
                completed=completed,
                success=None if completed is None else not failed,
                error=rng.choice(_ERRORS) if errored else None,
                recovered=errored and not failed,
                prompt_tokens=prompt_tokens,
                completion_tokens=int(prompt_tokens * rng.uniform(0.3, 0.9)),
                model=_model(rng, world, started),
                temperature=rng.choice((0.2, 0.2, 0.5, 0.7)),
                validation_errors=int(rng.random() < 0.15) + int(rng.random() < 0.05),
                validation_warnings=_WARNINGS.pick(rng),
                copy_method=_COPY_METHODS.pick(rng),
                input_method=_INPUT_METHODS.pick(rng),
                edit_count=_EDIT_COUNTS.pick(rng),
            )
        )
        if completed is None:
            return tuple(runs), "running", None
        if failed or (index < len(PHASES) and rng.random() < 0.012):
            return _ending(runs, "failed" if failed else "cancelled", completed, world.now, rng)
        clock = completed
    return _ending(runs, "completed", clock, world.now, rng)


def _ending(
    runs: list[_PhaseRun], status: str, last: float, now: float, rng: random.Random
) -> tuple[tuple[_PhaseRun, ...], str, float | None]:
    end = _ms(last + rng.uniform(0.5, 20.0))
    return (tuple(runs), status, end) if end <= now else (tuple(runs), "running", None)


def _model(rng: random.Random, world: World, moment: float) -> str:
    progress = (moment - world.start) / (world.now - world.start)
    return rng.choices(_MODELS, (1.0 - progress, 0.4, 0.2 + 1.5 * progress))[0]


def _code(
    rng: random.Random,
    runs: Sequence[_PhaseRun],
    score: float,
    developer: Developer | None,
    session_id: int,
) -> _Code:
    languages = developer.languages if developer else ("python", "yaml")
    scale = 0.4 + score / 5
    added = int(_lognormal(rng, 220 * scale, 0.7))
    shares = [rng.random() ** 2 for _ in languages]
    template_version = next(run.template.version for run in runs if run.phase == "implementation")
    bundle = None
    if "typescript" in languages:
        before = int(_lognormal(rng, 800, 0.5))
        bundle = (before, before + int(rng.gauss(12, 20)))
    return _Code(
        files=(
            int(_lognormal(rng, 3 * scale, 0.6)),
            int(_lognormal(rng, 5 * scale, 0.6)),
            rng.choice((0, 0, 0, 1, 2)),
        ),
        lines=(added, int(added * rng.uniform(0.2, 0.8)), int(added * rng.uniform(0.0, 0.3))),
        languages={
            language: max(1, int(added * share / sum(shares)))
            for language, share in zip(languages, shares, strict=True)
        },
        tests=(rng.randint(0, 4), rng.randint(0, 25)),
        coverage_before=round(rng.uniform(40.0, 85.0), 1),
        coverage_gain=round(rng.gauss(3.0, 3.0), 1),
        complexity=(
            round(_clamp(rng.gauss(3 + score / 2, 1), 1, 20), 2),
            round(_clamp(rng.gauss(5 + score, 2), 1, 40), 2),
            round(_clamp(rng.gauss(64 + 4 * template_version - score * 1.5, 8), 10, 100), 1),
            int(_lognormal(rng, 30 * scale, 0.8)),
        ),
        docs=(
            rng.choice((0, 0, 1)),
            rng.randint(0, 3),
            int(added * rng.uniform(0.02, 0.12)),
            round(rng.uniform(40, 95), 1),
        ),
        commits=tuple(f"{rng.getrandbits(160):040x}" for _ in range(rng.randint(1, 6))),
        branch=f"feature/session-{session_id}",
        pr_number=1000 + session_id,
        build_seconds=(round(_lognormal(rng, 45, 0.4), 1), round(_lognormal(rng, 47, 0.4), 1)),
        bundle_kb=bundle,
    )


def _session_versions(rng: random.Random, world: World, session: _Session) -> tuple[Version, ...]:
    """Created running; maybe a snapshot mid-way; the final status; maybe a rating later."""
    moments: list[tuple[float, bool, bool]] = [(session.created, False, False)]  # at, final, rated
    last = session.end if session.end is not None else world.now
    if rng.random() < 0.5 and last - session.created > 2.0:
        moments.append((_ms(rng.uniform(session.created + 1.0, last - 1.0)), False, False))
    if session.end is not None:
        rated = rng.random() < 0.6
        in_final = rated and rng.random() < 0.4
        moments.append((session.end, True, in_final))
        later = _ms(session.end + _lognormal(rng, 3 * HOUR, 1.0))
        if rated and not in_final and later <= world.now:
            moments.append((later, True, True))
    rating = _rating(rng, session)
    return tuple(
        Version(
            at,
            _delivered(rng, at),
            _session_record(session, at, number, final, rating if rated else None),
        )
        for number, (at, final, rated) in enumerate(moments, start=1)
    )


def _rating(rng: random.Random, session: _Session) -> Record:
    good = session.status == "completed"
    rating = (_GOOD_RATINGS if good else _BAD_RATINGS).pick(rng)
    saved = max(0.0, session.estimated_hours * rng.uniform(0.2, 1.6) - (0.5 if good else 1.5))
    return {
        "developer_rating": rating,
        "developer_feedback": rng.choice(_DEV_FEEDBACK) if rng.random() < 0.4 else None,
        "would_recommend": rating >= 4 if rng.random() < 0.9 else rating >= 3,
        "time_saved_hours": round(saved, 2),
    }


def _session_record(
    session: _Session, at: float, number: int, final: bool, rating: Record | None
) -> Record:
    style = session.style
    done = [run for run in session.runs if run.completed is not None and run.completed <= at]
    record: Record = {
        "id": session.id,
        "project_id": session.project_id,
        "feature_request": session.feature_request,
        "status": session.status if final else "running",
        "orchestrator_prompt": f"Run the five phases for: {session.feature_request}",
        "metadata": session.metadata,
        "created_at": timestamp(session.created, style),
        "updated_at": timestamp(at, style),
        "session_version": number,
        "user_identifier": session.developer.identifier if session.developer else None,
        "session_type": session.session_type,
        "retry_count": sum(run.recovered for run in done),
        "manual_interventions": sum(run.edit_count > 2 for run in done),
        "complexity_score": session.complexity,
        "estimated_hours": session.estimated_hours,
    }
    for run in session.runs:
        if run.started <= at:
            record[f"{run.phase}_template"] = run.template.text
            record[f"{run.phase}_started_at"] = timestamp(run.started, style)
    for run in done:
        assert run.completed is not None
        record[f"{run.phase}_completed_at"] = timestamp(run.completed, style)
        record[f"{run.phase}_success"] = run.success
        if run.phase != "planning" and run.success:
            record[f"{run.phase}_results"] = _results(run.phase, session)
    if final:
        assert session.end is not None
        total = round(session.end - session.created, 3)
        actual = round(total / HOUR, 2)
        record["orchestrator_output"] = (
            f"Session {session.id} {session.status} after {len(done)} phases."
        )
        record["overall_success"] = session.status == "completed"
        record["total_duration_seconds"] = total
        record["active_duration_seconds"] = round(
            sum(run.completed - run.started for run in done if run.completed is not None), 3
        )
        record["actual_hours"] = actual
        record["accuracy_score"] = round(
            1 - abs(session.estimated_hours - actual) / max(session.estimated_hours, actual, 0.01),
            3,
        )
    if rating is not None:
        record.update(rating)
    return record


def _results(phase: str, session: _Session) -> str:
    code = session.code
    if phase == "analysis":
        return f"Affected area: {session.area}.\nPublic interfaces unchanged."
    if phase == "implementation" and code is not None:
        return (
            f"Changed {sum(code.files)} files (+{code.lines[0]}/-{code.lines[2]} lines).\n"
            f"Branch {code.branch}, {len(code.commits)} commits."
        )
    if phase == "testing" and code is not None:
        after = min(100.0, code.coverage_before + code.coverage_gain)
        return f"{code.tests[1]} tests added; coverage {code.coverage_before}% -> {after:.1f}%."
    return f"{phase.title()} finished; formatter and linter clean."


def _phase_metric_versions(
    rng: random.Random, session: _Session, run: _PhaseRun, metric_id: int
) -> tuple[Version, ...]:
    """Written when the phase starts, rewritten when it ends (some runners only write the end).

    No late delivery here: phase metrics have no updated_at, the version loaded last wins.
    """
    opened = Version(run.started, run.started, _phase_metric(session, run, metric_id, False))
    if run.completed is None:
        return (opened,)
    closed = Version(run.completed, run.completed, _phase_metric(session, run, metric_id, True))
    return (opened, closed) if rng.random() < 0.25 else (closed,)


def _phase_metric(session: _Session, run: _PhaseRun, metric_id: int, complete: bool) -> Record:
    record: Record = {
        "id": metric_id,
        "session_id": session.id,
        "phase": run.phase,
        "phase_index": run.index,
        "started_at": timestamp(run.started, session.style),
        "idle_time_seconds": run.idle,
        "prompt_tokens": run.prompt_tokens,
        "model_used": run.model,
        "temperature": run.temperature,
        "validation_errors": 0,
        "validation_warnings": 0,
        "copy_paste_method": run.copy_method,
        "input_method": run.input_method,
        "user_edits": False,
        "edit_count": 0,
        "error_occurred": False,
        "error_recovered": False,
        "metadata": {"template_version": run.template.version, "attempts": 1},
        "created_at": timestamp(run.started, session.style),
    }
    if complete and run.completed is not None:
        record |= {
            "completed_at": timestamp(run.completed, session.style),
            "duration_seconds": round(run.completed - run.started, 3),
            "completion_tokens": run.completion_tokens,
            "total_tokens": run.prompt_tokens + run.completion_tokens,
            "output_length": int(run.completion_tokens * 3.8),
            "template_extraction_success": run.error is None or run.error[0] != "ExtractionError",
            "validation_errors": run.validation_errors,
            "validation_warnings": run.validation_warnings,
            "user_edits": run.edit_count > 0,
            "edit_count": run.edit_count,
            "error_occurred": run.error is not None,
            "error_type": run.error[0] if run.error else None,
            "error_message": run.error[1] if run.error else None,
            "error_recovered": run.recovered,
            "metadata": {"template_version": run.template.version, "attempts": 1 + run.recovered},
        }
    return record


def _events(
    rng: random.Random,
    world: World,
    session: _Session,
    versions: Sequence[Version],
    ids: IdSequence,
) -> tuple[Version, ...]:
    """About fifteen events per session: commands, user actions, errors, phase boundaries."""
    items: list[tuple[float, Record]] = [(session.created, _event("session_started", "system"))]
    for run in session.runs:
        items.extend(_phase_events(rng, session, run))
    if session.end is not None:
        result = {"completed": "success", "failed": "failure"}.get(session.status, "cancelled")
        took = int((session.end - session.created) * 1000)
        ended = _event(f"session_{session.status}", "system", result=result, duration_ms=took)
        items.append((session.end, ended))
    items.sort(key=lambda item: item[0])
    changes = [version.at for version in versions]
    identifier = session.developer.identifier if session.developer else None
    host = f"runner-{session.id % 7 + 1:02d}"
    events = []
    for moment, record in items:
        moment = _ms(moment)
        if moment > world.now:
            continue
        record |= {
            "id": ids.next(),
            "session_id": session.id,
            "timestamp": timestamp(moment, session.style),
            "user_identifier": identifier,
            "session_version": bisect_right(changes, moment) or 1,
            "metadata": {"host": host} if rng.random() < 0.7 else None,
        }
        events.append(Version(moment, _delivered(rng, moment), record))
    return tuple(events)


def _phase_events(
    rng: random.Random, session: _Session, run: _PhaseRun
) -> list[tuple[float, Record]]:
    command = f"prompt-runner run {run.phase} --session {session.id}"
    parameters = {"model": run.model, "temperature": run.temperature}
    started = _event(
        "command_executed",
        "cli",
        run.phase,
        command=command,
        parameters=parameters | {"template_version": run.template.version},
        result="success",
        duration_ms=int(_lognormal(rng, 900, 0.6)),
    )
    items = [(run.started, started)]
    if run.completed is None:
        return items
    inside = (run.started, run.completed)
    if rng.random() < 0.4:
        took = int(_lognormal(rng, 1500, 0.8))
        copied = _event("prompt_copied", "user", run.phase, result="success", duration_ms=took)
        items.append((rng.uniform(*inside), copied))
    if run.edit_count:
        took = int(_lognormal(rng, 60_000, 1.0))
        edited = _event("output_edited", "user", run.phase, result="success", duration_ms=took)
        items.append((rng.uniform(*inside), edited))
    if run.error is not None:
        details = f"{run.error[0]}: {run.error[1]}"
        error = _event(
            "error_occurred", "error", run.phase, result="failure", error_details=details
        )
        items.append((rng.uniform(*inside), error))
    if rng.random() < 0.3:
        result = "failure" if run.validation_errors else "success"
        took = int(_lognormal(rng, 300, 0.5))
        checked = _event("validation_run", "system", run.phase, result=result, duration_ms=took)
        items.append((rng.uniform(*inside), checked))
    took = int((run.completed - run.started) * 1000)
    name, result = ("phase_completed", "success") if run.success else ("phase_failed", "failure")
    items.append(
        (run.completed, _event(name, "system", run.phase, result=result, duration_ms=took))
    )
    return items


def _event(event_type: str, category: str, phase: str | None = None, **fields: object) -> Record:
    return {"event_type": event_type, "event_category": category, "phase": phase, **fields}


def _code_metric_versions(
    rng: random.Random, world: World, session: _Session, ids: IdSequence
) -> tuple[Version, ...]:
    """Written when implementation succeeds, updated when the session ends, sometimes later."""
    code = session.code
    if code is None:
        return ()
    implementation = next(run for run in session.runs if run.phase == "implementation")
    assert implementation.completed is not None
    metric_id = ids.next()
    created = _ms(implementation.completed + rng.uniform(1.0, 10.0))
    if created > world.now:
        return ()
    moments = [created]
    if session.end is not None and session.end > created:
        moments.append(session.end)
        later = _ms(session.end + _lognormal(rng, DAY, 1.0))
        if rng.random() < 0.15 and later <= world.now:
            moments.append(later)
    tested = any(run.phase == "testing" and run.success for run in session.runs)
    return tuple(
        Version(
            at,
            _delivered(rng, at),
            _code_record(session, code, (metric_id, created, at, stage), tested),
        )
        for stage, at in enumerate(moments)
    )


def _code_record(
    session: _Session, code: _Code, when: tuple[int, float, float, int], tested: bool
) -> Record:
    """`when`: the metric's id, its creation, this version's moment and stage (0, 1, 2)."""
    metric_id, created, at, stage = when
    cyclomatic, cognitive, maintainability, debt = code.complexity
    docs_created, docs_updated, comments, doc_score = code.docs
    record: Record = {
        "id": metric_id,
        "session_id": session.id,
        "files_created": code.files[0],
        "files_modified": code.files[1],
        "files_deleted": code.files[2],
        "total_files": sum(code.files),
        "lines_added": code.lines[0],
        "lines_modified": code.lines[1],
        "lines_deleted": code.lines[2],
        "total_lines": sum(code.lines),
        "languages": code.languages,
        "primary_language": max(code.languages, key=lambda name: code.languages[name]),
        "test_files_created": code.tests[0],
        "test_cases_added": 0,
        "test_coverage_before": code.coverage_before,
        "cyclomatic_complexity_avg": cyclomatic,
        "cognitive_complexity_avg": cognitive,
        "maintainability_index": maintainability,
        "technical_debt_minutes": debt,
        "docs_created": docs_created,
        "docs_updated": docs_updated + (stage == 2),
        "comment_lines_added": comments,
        "documentation_score": min(100.0, doc_score + 5 * (stage == 2)),
        "git_commits": 1 if stage == 0 else len(code.commits),
        "git_branch": code.branch,
        "git_commit_hashes": list(code.commits[: 1 if stage == 0 else None]),
        "pr_created": False,
        "build_time_before_seconds": code.build_seconds[0],
        "bundle_size_before_kb": code.bundle_kb[0] if code.bundle_kb else None,
        "created_at": timestamp(created, session.style),
        "updated_at": timestamp(at, session.style),
    }
    if stage >= 1:
        if tested:
            after = round(min(100.0, code.coverage_before + code.coverage_gain), 1)
            record["test_cases_added"] = code.tests[1]
            record["test_coverage_after"] = after
            record["test_coverage_delta"] = round(after - code.coverage_before, 1)
        if session.status == "completed":
            record["pr_created"] = True
            record["pr_number"] = code.pr_number
            record["pr_url"] = f"https://git.forge.dev/forge/app/pull/{code.pr_number}"
        record["build_time_after_seconds"] = code.build_seconds[1]
        record["bundle_size_after_kb"] = code.bundle_kb[1] if code.bundle_kb else None
    return record


# --------------------------------------------------------------------------- projects


@dataclass(frozen=True)
class ProjectBundle:
    outcome: tuple[Version, ...]
    feedback: tuple[Version, ...]


def build_project(rng: random.Random, world: World, created: float) -> ProjectBundle:
    """A scaffolded project: created, built (build status, tests), maybe rebuilt and deployed,
    maybe archived; and the feedback its user gave, if any."""
    pattern = world.patterns.pick(rng)
    developer = pick_developer(rng, world)
    slug = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{pattern.pattern_id.split('-')[0]}"
    renamed = pattern.new_name is not None and created >= world.rename_at
    components = rng.sample(pattern.components, rng.randint(2, len(pattern.components)))
    base: Record = {
        "id": _uuid(rng),
        "project_name": slug,
        "project_path": f"/home/{developer.identifier.split('@')[0]}/projects/{slug}",
        "pattern_id": pattern.pattern_id,
        "pattern_name": pattern.new_name if renamed else pattern.name,
        "components_generated": components,
        "files_created": int(_lognormal(rng, 24, 0.5)),
        "languages_used": list(pattern.languages),
        "dependencies_installed": list(pattern.dependencies),
        "status": "active",
        "deployment_status": "local" if rng.random() < 0.5 else None,
        "user_id": developer.user_id if rng.random() < 0.7 else None,
        "workspace_id": developer.workspace_id,
    }
    states, built_ok = _project_states(rng, world, pattern, created)
    outcome = tuple(
        Version(at, _delivered(rng, at), _outcome_record(rng, base, created, at, state))
        for at, state in states
    )
    first_success = next(
        (at for at, state in states if state.get("last_build_status") == "success"), None
    )
    project = str(base["id"])
    return ProjectBundle(outcome, _feedback(rng, world, project, created, first_success, built_ok))


def _project_states(
    rng: random.Random, world: World, pattern: Pattern, created: float
) -> tuple[list[tuple[float, Record]], bool]:
    """The project's changes up to `now`, and whether its first build succeeded."""
    at = _ms(created + _lognormal(rng, 15 * 60, 1.0))
    first_ok = success = rng.random() < pattern.build_success
    state: Record = {
        "last_build_status": "success" if success else "failure",
        "last_build_timestamp": at,
        "test_pass_rate": _pass_rate(rng, success),
    }
    steps: list[tuple[float, Record]] = [(created, {}), (at, dict(state))]
    if rng.random() < 0.55:
        at = _ms(at + _lognormal(rng, 3 * DAY, 1.0))
        success = rng.random() < (0.92 if success else 0.6)
        state |= {
            "last_build_status": "success" if success else "failure",
            "last_build_timestamp": at,
            "test_pass_rate": _pass_rate(rng, success),
            "deployment_status": rng.choice(("staging", "deployed")) if success else "local",
        }
        steps.append((at, dict(state)))
    if rng.random() < 0.12:
        at = _ms(at + _lognormal(rng, 20 * DAY, 0.6))
        state["status"] = "archived" if rng.random() < 0.75 else "deleted"
        steps.append((at, dict(state)))
    return [step for step in steps if step[0] <= world.now], first_ok


def _pass_rate(rng: random.Random, success: bool) -> float | None:
    if rng.random() < 0.15:
        return None
    rate = rng.gauss(90, 8) if success else rng.uniform(20, 80)
    return round(_clamp(rate, 0.0, 100.0), 2)


def _outcome_record(
    rng: random.Random, base: Record, created: float, at: float, state: Record
) -> Record:
    style = _dataforge_style(rng)
    built = state.get("last_build_timestamp")
    return {
        **base,
        **state,
        "last_build_timestamp": timestamp(built, style) if isinstance(built, float) else None,
        "created_at": timestamp(created, style),
        "updated_at": timestamp(at, style),
        "last_accessed_at": timestamp(at, style),
    }


def _dataforge_style(rng: random.Random) -> str:
    return _DATAFORGE_STYLES.pick(rng)


def _feedback(
    rng: random.Random,
    world: World,
    project_id: str,
    created: float,
    first_success: float | None,
    built_ok: bool,
) -> tuple[Version, ...]:
    """Feedback on some projects: a modal a few minutes in, for some more later."""
    if rng.random() >= _FEEDBACK_SHARE:
        return ()
    count = _FEEDBACK_COUNTS.pick(rng)
    at = _ms(created + _lognormal(rng, 6 * 60, 0.8))
    feedback = []
    for number in range(count):
        if number:
            at = _ms(at + _lognormal(rng, 4 * DAY, 0.8))
        if at > world.now:
            break
        modal = number == 0 and rng.random() < 0.8
        source = "modal" if modal else rng.choice(("dashboard", "email"))
        built = first_success if first_success is not None and first_success <= at else None
        record = _feedback_record(rng, project_id, created, at, source, built, built_ok)
        feedback.append(Version(at, _delivered(rng, at), record))
    return tuple(feedback)


def _feedback_record(
    rng: random.Random,
    project_id: str,
    created: float,
    at: float,
    source: str,
    first_success: float | None,
    built_ok: bool,
) -> Record:
    satisfaction = (_SATISFIED if built_ok else _UNSATISFIED).pick(rng)
    reuse = None
    if rng.random() > 0.08:
        reuse = int(_clamp(round(satisfaction * 2 - 1 + rng.gauss(0, 1.6)), 1, 10))
    chance = 0.5 if reuse is None else 0.92 if reuse >= 9 else 0.6 if reuse >= 7 else 0.15
    errors = not built_ok or rng.random() < 0.15
    error_type = rng.choice(("dependency", "build", "config"))

    def near() -> int | None:
        if rng.random() < 0.15:
            return None
        return int(_clamp(satisfaction + rng.choice((-1, 0, 0, 1)), 1, 5))

    return {
        "id": _uuid(rng),
        "project_outcome_id": project_id,
        "overall_satisfaction": satisfaction,
        "pattern_usefulness": near(),
        "code_quality": near(),
        "documentation_clarity": near(),
        "setup_ease": near(),
        "positive_aspects": sorted(rng.sample(_POSITIVE, min(satisfaction - 1, rng.randint(0, 3)))),
        "negative_aspects": sorted(rng.sample(_NEGATIVE, min(5 - satisfaction, rng.randint(0, 3)))),
        "additional_comments": rng.choice(_COMMENTS) if rng.random() < 0.35 else None,
        "would_recommend": None if rng.random() < 0.12 else rng.random() < chance,
        "likelihood_to_reuse": reuse,
        "feature_requests": rng.sample(_REQUESTS, rng.randint(1, 2))
        if rng.random() < 0.25
        else None,
        "time_to_first_build": None if first_success is None else int(first_success - created),
        "encountered_errors": errors,
        "error_details": {
            "type": error_type,
            "message": f"{error_type} step failed on first run",
            "resolved": built_ok,
        }
        if errors
        else None,
        "feedback_source": source,
        "submitted_at": timestamp(at, _dataforge_style(rng)),
    }
