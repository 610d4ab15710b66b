"""Take metrics for a project: what each take is measured against (its brief's camera path,
its seams, its continuity neighbours), measuring it (in this process or a measuring
process), and the figures in the project file.

The measures are ``generation.metrics``; the rows ``project_store.take_metrics``. Figures
from another ``METRICS_VERSION`` are not current: they are measured again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from generation.metrics import (
    CAMERA_ERROR_WARN_PX,
    FLICKER_WARN,
    METRICS_VERSION,
    SEAM_WARN,
    measure_request,
    warnings_for,
)
from generation.scene import take_frame_times
from project_store.generation_records import GenerationRecords, Take
from project_store.project import Project
from project_store.take_metrics import MetricsError, TakeMetrics
from timeline.spawning import spawn_context


def brief_camera(project: Project, take: Take) -> dict[str, Any] | None:
    """The camera path the take was asked to follow (JSON): the one its recipe rendered (a
    previz scene, a move copied from a motion clip), else the one in the conditioning
    version it was made from; None when the brief had none."""
    inputs = take.recipe.get("inputs") or {}
    scene = inputs.get("scene") or {}
    if scene.get("camera") is not None:
        return scene["camera"]
    if take.conditioning_version:
        payload = project.conditioning_payload(take.conditioning_version) or {}
        if payload.get("camera") is not None:
            return payload["camera"]
    return None


def seam_frames(take: Take) -> list[int]:
    """Take frames that begin a spliced part: a regenerated range [start, end) is joined
    at ``start`` and at ``end`` (the spliced take is one frame per segment frame)."""
    splice = ((take.recipe.get("spec") or {}).get("inputs") or {}).get("splice") or \
        (take.recipe.get("inputs") or {}).get("splice")
    if not splice:
        return []
    start, end = splice["range"]
    return [s for s in (int(start), int(end)) if 0 < s < take.frame_count]


def continuity_neighbours(take: Take) -> dict[str, str]:
    """The sequence frames a continuity take continues from / into (stored pictures)."""
    inputs = take.recipe.get("inputs") or {}
    out = {}
    for key, side in (("image", "before"), ("last_image", "after")):
        value = inputs.get(key)
        # Only continuity frames (they record the sequence frame); a regenerated range's
        # context pictures are measured as seams instead.
        if isinstance(value, dict) and value.get("sequence_frame") is not None \
                and value.get("path"):
            out[side] = value["path"]
    return out


def measure_request_for(project: Project, take: Take) -> dict[str, Any]:
    """Plain data that ``generation.metrics.measure_request`` measures (read here, measured
    anywhere: no live object crosses)."""
    if take.media_path is None:
        raise MetricsError(f"Take {take.id} has no media (it was deleted).")
    if not take.media_path.is_file():
        raise MetricsError(f"The media of take {take.id} is missing: {take.media_path}")
    seq_fps = take.conform.sequence_fps
    # One shot of a multi-shot file is measured on its own frames (the file's cuts
    # between shots are meant).
    shot = take.recipe.get("shot")
    span = None if not shot else [int(v) for v in shot["frames"]]
    count = take.frame_count if span is None else span[1] - span[0]
    return {
        "take": take.id,
        "media": str(take.media_path),
        "frames": span,
        "camera": brief_camera(project, take),
        "camera_times": take_frame_times(count, take.fps, Fraction(seq_fps)),
        "camera_fps": float(seq_fps),
        "seams": seam_frames(take),
        "neighbours": continuity_neighbours(take),
    }


def measure_take(project: Project, take_id: int) -> dict[str, Any]:
    """Measure a take now, in this process, store its figures and return them (JSON)."""
    take = GenerationRecords(project).take(take_id)
    if take.is_audio:
        raise MetricsError(f"Take {take_id} is sound; the take metrics measure pictures")
    request = measure_request_for(project, take)
    try:
        metrics = measure_request(request)
    except ValueError as exc:
        raise MetricsError(f"Take {take_id} cannot be measured: {exc}") from None
    TakeMetrics(project).write(take_id, metrics, METRICS_VERSION)
    return current(project, [take_id]).get(take_id, {})


def current(project: Project, take_ids: Iterable[int] | None = None
            ) -> dict[int, dict[str, dict[str, Any]]]:
    """Current figures per take: {take id: {metric name: {value, unit, direction, detail,
    code_version, measured_at}}}; takes not measured by this version are absent."""
    rows = TakeMetrics(project).read(METRICS_VERSION, take_ids)
    return {t: {name: m.to_json() for name, m in by_name.items()}
            for t, by_name in rows.items()}


def warnings(figures: dict[str, dict[str, Any]]) -> list[str]:
    """What the take's thumbnail says about it (empty: nothing to flag)."""
    return warnings_for({name: f.get("value") for name, f in figures.items()})


def _measure_in_child(request: dict[str, Any]) -> list[dict[str, Any]]:
    return measure_request(request)


def _start_measuring_process() -> None:
    """The measuring process's first act: out of the editor's session and below it in
    priority (measuring is background work; the UI thread goes first)."""
    from timeline.priority import background_process, own_session

    own_session()
    background_process(4)


def _measuring_process_ready() -> bool:
    return True


def _new_measuring_pool() -> concurrent.futures.ProcessPoolExecutor:
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=1, mp_context=spawn_context(),
        initializer=_start_measuring_process)


class BackgroundMetrics:
    """Measures takes in a measuring process (spawned, like the worker: no inherited Qt or
    threads; OpenCV and the decode stay out of the editor's process and its GIL), one at
    a time; the figures are written here, on the caller's loop. ``on_done(take_id,
    error)``: error is None when the figures were stored."""

    def __init__(self, project: Project,
                 on_done: Callable[[int, str | None], None] | None = None) -> None:
        self.project = project
        self.on_done = on_done
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        # One pool, however many takes land at once: a lock of the loop that runs them
        # (a CLI command runs a loop of its own; an asyncio lock belongs to one loop).
        self._pool_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, take_ids: Iterable[int], *, after_s: float = 0.0) -> None:
        """Measure these takes in the background (call from the running loop), starting
        ``after_s`` seconds from now."""
        for take_id in take_ids:
            task = asyncio.ensure_future(self._measure(take_id, after_s))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def warm_up(self) -> None:
        """Start the measuring process now (call from the running loop when a job starts:
        its take will want measuring). Its start-up, an interpreter and its imports, is a
        second of CPU: beside the generation it costs nothing, but when the take lands it
        competes with the window's repaint of the new take."""
        if self._pool is not None:
            return
        task = asyncio.ensure_future(self._warm_up())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _warm_up(self) -> None:
        try:
            await self._in_pool(await self._ensure_pool(), _measuring_process_ready)
        except (concurrent.futures.process.BrokenProcessPool, RuntimeError, OSError):
            pass  # the take's own measuring reports what is wrong

    @staticmethod
    async def _in_pool(pool: concurrent.futures.ProcessPoolExecutor,
                       fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the measuring process; submitted from a thread (the first
        submit spawns the process)."""
        future = await asyncio.to_thread(pool.submit, fn, *args)
        return await asyncio.wrap_future(future)

    async def _ensure_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        """The measuring pool, made on a thread: making it starts multiprocessing's
        resource tracker and its first submit spawns the process, tens of milliseconds the
        window's loop would stall for."""
        loop = asyncio.get_running_loop()
        if self._pool_lock is None or self._pool_lock[0] is not loop:
            self._pool_lock = (loop, asyncio.Lock())
        async with self._pool_lock[1]:
            if self._pool is None:
                self._pool = await asyncio.to_thread(_new_measuring_pool)
            return self._pool

    async def _measure(self, take_id: int, after_s: float = 0.0) -> None:
        try:
            if after_s > 0:
                await asyncio.sleep(after_s)
            take = GenerationRecords(self.project).take(take_id)
            request = measure_request_for(self.project, take)
            pool = await self._ensure_pool()
            try:
                metrics = await self._in_pool(pool, _measure_in_child, request)
            except concurrent.futures.process.BrokenProcessPool:
                if self._pool is pool:  # the measuring process died: the next take starts one
                    self._pool = None
                raise MetricsError("the measuring process died") from None
            TakeMetrics(self.project).write(take_id, metrics, METRICS_VERSION)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reaches the caller's error reporter, not a traceback
            message = f"measuring take {take_id} failed: {exc}"
            if self.on_done is not None:
                self.on_done(take_id, message)
            return
        if self.on_done is not None:
            self.on_done(take_id, None)

    async def wait(self) -> None:
        """Until every submitted take is measured (or failed)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def stop(self) -> None:
        """Drop what is pending (synchronous: the window is closing or switching)."""
        for task in list(self._tasks):
            task.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# --- ranking (the Takes dock, scripts) ----------------------------------------------------

# What an editor sorts by, in the dock's order: (metric name, label).
SORT_METRICS = (("warping_error", "warping error"), ("flicker", "flicker"),
                ("camera_error", "camera error"), ("seam_jump", "seam jump"),
                ("hard_cuts", "hard cuts"))


def _value(figures: dict[str, dict[str, Any]] | None, name: str) -> float | None:
    f = (figures or {}).get(name)
    return None if f is None else f.get("value")


def sort_by(take_ids: Iterable[int], figures: dict[int, dict[str, dict[str, Any]]],
            name: str) -> list[int]:
    """Take ids best first by one metric (its own direction); takes without that figure
    last, in their given order."""
    ids = list(take_ids)
    measured = [i for i in ids if _value(figures.get(i), name) is not None]
    rest = [i for i in ids if i not in measured]
    direction = next((figures[i][name].get("direction", "lower") for i in measured),
                     "lower")
    measured.sort(key=lambda i: _value(figures.get(i), name) or 0.0,
                  reverse=direction == "higher")
    return measured + rest


def look_first(take_ids: Iterable[int], figures: dict[int, dict[str, dict[str, Any]]],
               names: dict[int, str] | None = None) -> tuple[int, str] | None:
    """The take to look at first, and why: among measured takes, those with nothing to
    flag (camera brief followed, no flicker, cut or visible seam) come first; of those the
    lowest warping error (the steadiest picture), then the lowest camera error. None when
    no take is measured yet."""
    ids = [i for i in take_ids if _value(figures.get(i), "warping_error") is not None]
    if not ids:
        return None
    clean = [i for i in ids if not warnings(figures[i])]
    pool = clean or ids

    def key(i: int) -> tuple[float, float]:
        cam = _value(figures[i], "camera_error")
        return (_value(figures[i], "warping_error") or 0.0, cam if cam is not None else 0.0)

    best = min(pool, key=key)
    label = (names or {}).get(best, f"take {best}")
    f = figures[best]
    reason = [f"the steadiest picture (warping error {f['warping_error']['value']:.2f} "
              f"{f['warping_error']['unit']})"]
    cam = _value(f, "camera_error")
    if cam is not None:
        reason.append(f"camera error {cam:.2f} px/frame")
    if clean:
        others = len(ids) - len(clean)
        reason.append("nothing flagged" + (f" ({others} other take{'s' if others != 1 else ''}"
                                            " flagged)" if others else ""))
    else:
        reason.append("every take is flagged: " + "; ".join(warnings(f)))
    return best, f"{label}: " + ", ".join(reason)


def thumbnail_flags(figures: dict[str, dict[str, Any]]) -> list[str]:
    """Short words for a thumbnail: what is wrong with the take at a glance."""
    out = []
    cam = _value(figures, "camera_error")
    if cam is not None and cam > CAMERA_ERROR_WARN_PX:
        out.append("camera ignored")
    flick = _value(figures, "flicker")
    if flick is not None and flick > FLICKER_WARN:
        out.append("flickers")
    if _value(figures, "hard_cuts"):
        out.append("cut")
    seam = _value(figures, "seam_jump")
    if seam is not None and seam > SEAM_WARN:
        out.append("seam")
    return out
