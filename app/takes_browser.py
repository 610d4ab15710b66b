"""The Takes dock: every take of the selected generated segment, and a side-by-side compare.

The list shows one row per take (a thumbnail of its middle frame, name, seed, backend and
model, frames x size @ fps, a star toggle; the active take in bold with a ▶) with Set active,
Star and Delete; a thumbnail plays its take, looping, while the pointer is over it. Compare
plays two takes in sync from one timer and diffs their recipes; two audio takes compare as
two waveforms under one playhead, with an A/B switch that changes which take is heard at
the same sample while they play.

Each row also shows the take's metrics (``services.take_metrics``: measured in the
background once a take is made) as badges; the list sorts by any of them, a "look first"
line names the take to look at first and why, and a take that ignored its camera brief,
flickers, or holds a cut or a visible seam says so on its thumbnail.

Decoding never happens on the UI thread: thumbnails and compare frames are decoded by a
small thread pool and delivered through queued signals; thumbnails are cached per take id,
compare frames (downscaled) in a small LRU of takes. Every project change goes through
``GenerationRecords`` (set_active is one undo step; star is a row update; delete is an
undoable removal from the segment plus the row marked deleted).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QItemSelectionModel,
    QObject,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.layouts import confirm
from app.theme import (
    DIFF_HIGHLIGHT,
    ERROR,
    PICTURE_SURROUND,
    PLAYHEAD,
    TEXT_DIM,
    WAVEFORM,
    WAVEFORM_BAND,
    WHITE,
    bold_font,
    hex_of,
)
from generation.metrics import METRICS_VERSION
from generation.take_media import read_take
from project_store.db import ProjectError
from project_store.generation_records import GenerationRecords, Take
from project_store.project import Project
from project_store.take_metrics import TakeMetrics
from services import take_metrics
from timeline.model import GeneratedSegment
from timeline.priority import background_thread

THUMB_SIZE = QSize(96, 54)
HOVER_MAX_FRAMES = 240  # a longer take plays every n-th frame under the pointer
HOVER_CACHE_TAKES = 12  # takes whose hover frames stay in memory (~20 KB a frame)
COMPARE_MAX = QSize(480, 270)  # compare frames are kept at most this big
COMPARE_CACHE_TAKES = 6  # takes whose downscaled frames stay in memory
_CHUNK = 6  # frames per delivery while a take decodes for compare
COMPARE_WAVE = QSize(960, 96)  # an audio take's compare waveform (scaled to its view)
AUDIO_TICK_MS = 30  # how often the compare playhead follows the sound

_DIFF_BRUSH = QBrush(DIFF_HIGHLIGHT)
_MISSING = object()


# ---------------------------------------------------------------------------------------------
# Pure helpers


def flatten_recipe(recipe: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted key paths: ``{"call": {"steps": 4}}`` -> ``{"call.steps": 4}``.
    Lists and scalars are leaves; an empty dict is a leaf too (so it still shows)."""
    out: dict[str, Any] = {}
    if not isinstance(recipe, dict):
        return {prefix or "(value)": recipe}
    for key, value in recipe.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten_recipe(value, path))
        else:
            out[path] = value
    return out


def format_value(value: Any) -> str:
    if value is _MISSING:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def recipe_diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(key path, A's value, B's value, differs) for every key either recipe has, sorted."""
    fa, fb = flatten_recipe(a), flatten_recipe(b)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, _MISSING), fb.get(key, _MISSING)
        differs = va is _MISSING or vb is _MISSING or va != vb
        rows.append((key, format_value(va), format_value(vb), differs))
    return rows


def _fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{float(fps):.3f}"


def take_summary(take: Take) -> str:
    if take.is_audio:
        seconds = (take.samples or 0) / (take.sample_rate or 1)
        return f"{seconds:.2f} s sound, {take.channels} ch @ {take.sample_rate} Hz"
    return f"{take.frame_count} × {take.width}x{take.height} @ {_fps_text(take.fps)} fps"


def waveform_image(samples: np.ndarray, size: QSize) -> QImage:
    """An owned QImage of (channels, samples) float sound: the min/max envelope of the
    channels' mix, one column per pixel, centred (what an audio take's thumbnail shows)."""
    w, h = size.width(), size.height()
    pixels = np.zeros((h, w, 4), np.uint8)
    pixels[...] = (WAVEFORM_BAND.red(), WAVEFORM_BAND.green(), WAVEFORM_BAND.blue(), 255)
    mono = np.asarray(samples, dtype=np.float32).mean(axis=0) if samples.size else \
        np.zeros(1, np.float32)
    edges = np.linspace(0, len(mono), w + 1).astype(np.int64)
    peak = max(float(np.abs(mono).max()), 1e-9)
    mid = (h - 1) / 2
    colour = (WAVEFORM.red(), WAVEFORM.green(), WAVEFORM.blue(), 255)
    for x in range(w):
        a, b = edges[x], max(edges[x] + 1, edges[x + 1])
        block = mono[a:min(b, len(mono))]
        if block.size == 0:
            continue
        top = round(mid - float(block.max()) / peak * mid)
        bottom = round(mid - float(block.min()) / peak * mid)
        pixels[max(0, top):min(h, bottom + 1), x] = colour
    return QImage(pixels.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


_BADGES = (("warping_error", "warp"), ("flicker", "flicker"), ("camera_error", "cam"),
           ("seam_jump", "seam"), ("hard_cuts", "cuts"))


def metric_badges(figures: dict[str, dict[str, Any]]) -> str:
    """One line of short badges for a take's figures ("" when not measured)."""
    out = []
    for name, short in _BADGES:
        f = figures.get(name)
        if f is None or f.get("value") is None:
            continue
        v = f["value"]
        out.append(f"{short} {v:.0f}" if name == "hard_cuts" else f"{short} {v:.2g}")
    return " · ".join(out)


def metric_tooltip(figures: dict[str, dict[str, Any]]) -> str:
    if not figures:
        return "Not measured yet"
    lines = []
    for name, f in figures.items():
        if f.get("value") is None:
            lines.append(f"{name}: {(f.get('detail') or {}).get('reason', 'not computed')}")
        else:
            lines.append(f"{name}: {f['value']:.3g} {f['unit']} ({f['direction']} is better)")
    lines += [f"⚠ {w}" for w in take_metrics.warnings(figures)]
    return "\n".join(lines)


def flagged_pixmap(pix: QPixmap, flags: list[str]) -> QPixmap:
    """The thumbnail with what is wrong written across its foot (a red band)."""
    if not flags:
        return pix
    out = QPixmap(pix)
    painter = QPainter(out)
    try:
        band = max(12, out.height() // 4)
        painter.fillRect(0, out.height() - band, out.width(), band, ERROR)
        painter.setPen(WHITE)
        font = painter.font()
        font.setPixelSize(max(8, band - 4))
        painter.setFont(font)
        painter.drawText(2, out.height() - band, out.width() - 4, band,
                         int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                         ", ".join(flags))
    finally:
        painter.end()
    return out


def _to_qimage(frame: np.ndarray, bound: QSize) -> QImage:
    """An owned QImage of an (H, W, 3) uint8 frame, scaled down to fit ``bound``."""
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    h, w = frame.shape[:2]
    image = QImage(frame.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    if w > bound.width() or h > bound.height():
        image = image.scaled(bound, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


# ---------------------------------------------------------------------------------------------
# Decoding off the UI thread


class TakeImporter(QObject):
    """Imports dropped videos as takes and measures them, off the UI thread: decoding and
    writing the lossless file, then measuring, run on one worker thread; the rows are
    written on the UI thread when the results arrive (queued signals)."""

    prepared = Signal(int, object, str)  # segment id, PreparedImport or None, error
    measured = Signal(int, object, str)  # take id, metrics JSON list or None, error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="takes-import")
        self._closed = False

    def _emit(self, signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the panel is gone (window closed): drop the result
            pass

    def prepare(self, segment_id: int, path: Path, work_dir: Path, fps: Fraction) -> None:
        from services.take_import import prepare_import

        def run() -> None:
            try:
                self._emit(self.prepared, segment_id, prepare_import(path, work_dir, fps), "")
            except Exception as exc:  # reported by the panel, never a traceback
                self._emit(self.prepared, segment_id, None, str(exc))

        if not self._closed:
            self._pool.submit(run)

    def measure(self, take_id: int, request: dict[str, Any]) -> None:
        from generation.metrics import measure_request

        def run() -> None:
            try:
                self._emit(self.measured, take_id, measure_request(request), "")
            except Exception as exc:
                self._emit(self.measured, take_id, None, str(exc))

        if not self._closed:
            self._pool.submit(run)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


class TakeDecoder(QObject):
    """Decodes take media in worker threads; results arrive as queued signals on the UI
    thread (the emitting thread is never the UI thread)."""

    thumbnail_ready = Signal(int, QImage)  # take id, middle frame
    thumbnail_failed = Signal(int, str)
    frames_ready = Signal(int, int, int, list, bool)  # token, take id, first index, images, last
    strip_ready = Signal(int, list)  # take id, thumbnail-sized frames for hover playback
    frames_failed = Signal(int, int, str)  # token, take id, message
    audio_ready = Signal(int, int, object, QImage)  # token, take id, (n, ch) sound, waveform

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="takes-decode",
                                        initializer=background_thread, initargs=(4,))
        self._lock = threading.Lock()
        self._token = 0
        self._closed = False

    # Tokens: a compare decode stops as soon as a newer request supersedes it.
    def new_token(self) -> int:
        with self._lock:
            self._token += 1
            return self._token

    def _current(self, token: int) -> bool:
        with self._lock:
            return token == self._token and not self._closed

    def _emit(self, signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the panel is gone (window closed): drop the result
            pass

    def thumbnail(self, take_id: int, path: Path, frame_count: int) -> Future[None] | None:
        if self._closed:
            return None
        return self._pool.submit(self._thumbnail, take_id, path, frame_count)

    def _thumbnail(self, take_id: int, path: Path, frame_count: int) -> None:
        try:
            if path.suffix == ".wav":  # an audio take: its waveform
                from generation.take_media import read_audio_take

                samples, _rate = read_audio_take(path)
                self._emit(self.thumbnail_ready, take_id, waveform_image(samples, THUMB_SIZE))
                return
            wanted = max(0, frame_count // 2)
            chosen = None
            for i, frame in enumerate(read_take(path)):
                chosen = frame
                if i >= wanted:
                    break
            if chosen is None:
                raise ValueError("the file has no frames")
            self._emit(self.thumbnail_ready, take_id, _to_qimage(chosen, THUMB_SIZE))
        except Exception as exc:  # decoding errors become a message on the row
            self._emit(self.thumbnail_failed, take_id, f"{type(exc).__name__}: {exc}")

    def strip(self, take_id: int, path: Path, frame_count: int) -> Future[None] | None:
        if self._closed:
            return None
        return self._pool.submit(self._strip, take_id, path, frame_count)

    def _strip(self, take_id: int, path: Path, frame_count: int) -> None:
        try:
            step = max(1, -(-frame_count // HOVER_MAX_FRAMES))
            images = [_to_qimage(frame, THUMB_SIZE)
                      for i, frame in enumerate(read_take(path)) if i % step == 0]
            self._emit(self.strip_ready, take_id, images)
        except Exception as exc:
            self._emit(self.thumbnail_failed, take_id, f"{type(exc).__name__}: {exc}")

    def frames(self, token: int, take_id: int, path: Path) -> Future[None] | None:
        if self._closed:
            return None
        return self._pool.submit(self._frames, token, take_id, path)

    def _frames(self, token: int, take_id: int, path: Path) -> None:
        try:
            chunk: list[QImage] = []
            first = 0
            for frame in read_take(path):
                if not self._current(token):
                    return
                chunk.append(_to_qimage(frame, COMPARE_MAX))
                if len(chunk) >= _CHUNK:
                    self._emit(self.frames_ready, token, take_id, first, chunk, False)
                    first += len(chunk)
                    chunk = []
            self._emit(self.frames_ready, token, take_id, first, chunk, True)
        except Exception as exc:
            self._emit(self.frames_failed, token, take_id, f"{type(exc).__name__}: {exc}")

    def audio(self, token: int, take_id: int, path: Path, rate: int) -> Future[None] | None:
        if self._closed:
            return None
        return self._pool.submit(self._audio, token, take_id, path, rate)

    def _audio(self, token: int, take_id: int, path: Path, rate: int) -> None:
        """An audio take for compare: its sound at ``rate`` (the sequence rate, read the way
        the Play button reads it) and its waveform."""
        try:
            from timeline.media.audio import AudioReader

            with AudioReader(path, sample_rate=rate) as reader:
                samples = reader.read(0, reader.duration_samples)
            if not self._current(token):
                return
            image = waveform_image(samples.T, COMPARE_WAVE)
            self._emit(self.audio_ready, token, take_id, samples, image)
        except Exception as exc:
            self._emit(self.frames_failed, token, take_id, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._token += 1
        self._pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# Compare


class FrameCache:
    """Downscaled frames of a few takes, least recently used dropped first."""

    def __init__(self, max_takes: int = COMPARE_CACHE_TAKES) -> None:
        self.max_takes = max_takes
        self._frames: OrderedDict[int, list[QImage]] = OrderedDict()
        self.complete: set[int] = set()

    def frames(self, take_id: int) -> list[QImage] | None:
        if take_id in self._frames:
            self._frames.move_to_end(take_id)
            return self._frames[take_id]
        return None

    def start(self, take_id: int) -> None:
        self._frames[take_id] = []
        self.complete.discard(take_id)
        while len(self._frames) > self.max_takes:
            old, _ = self._frames.popitem(last=False)
            self.complete.discard(old)

    def add(self, take_id: int, first: int, images: list[QImage], last: bool) -> None:
        frames = self._frames.get(take_id)
        if frames is None or first != len(frames):
            return  # evicted or restarted meanwhile
        frames.extend(images)
        if last:
            self.complete.add(take_id)

    def drop(self, take_id: int) -> None:
        self._frames.pop(take_id, None)
        self.complete.discard(take_id)

    def clear(self) -> None:
        self._frames.clear()
        self.complete.clear()


class TakePlayer(QWidget):
    """One side of the compare view: a picture and its own frame counter."""

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.take: Take | None = None
        self.frame_index = 0
        self.picture = QLabel("No take")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(160, 90)
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture.setStyleSheet(f"background: {hex_of(PICTURE_SURROUND)}; "
                                   f"color: {hex_of(TEXT_DIM)};")
        self.counter = QLabel()
        self.counter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.picture, 1)
        lay.addWidget(self.counter)

    def set_take(self, take: Take | None) -> None:
        self.take = take
        self.frame_index = 0
        self.picture.clear()
        self.picture.setText("No take" if take is None else "Decoding…")
        self._show_counter()

    def index_for(self, master_index: int, master_fps: Fraction) -> int:
        """This take's frame at the master clock's frame (same time, own fps)."""
        if self.take is None or self.take.frame_count <= 0:
            return 0
        at = master_index if self.take.fps == master_fps else \
            int(Fraction(master_index) * self.take.fps / master_fps)
        return max(0, min(at, self.take.frame_count - 1))

    def show_frame(self, index: int, image: QImage | None) -> None:
        self.frame_index = index
        if image is None:
            self.picture.setText("Decoding…")
        else:
            pix = QPixmap.fromImage(image)
            target = self.picture.size()
            if target.width() > 4 and target.height() > 4:
                pix = pix.scaled(target, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
            self.picture.setPixmap(pix)
        self._show_counter()

    def _show_counter(self) -> None:
        if self.take is None:
            self.counter.setText(f"{self.side}: —")
        else:
            self.counter.setText(f"{self.side}: {self.take.name} · seed {self.take.seed} · "
                                 f"frame {self.frame_index + 1} / {self.take.frame_count}")


class WaveformView(QWidget):
    """One audio take's waveform in compare, with the shared playhead line. ``span`` is
    the part of the width the take covers (a shorter take ends early)."""

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.image: QImage | None = None
        self.text = "No take"
        self.span = 1.0
        self.playhead = 0.0  # 0..1 of the width
        self.hearing = False
        self.setMinimumSize(160, 48)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_wave(self, image: QImage | None, text: str, span: float = 1.0) -> None:
        self.image, self.text, self.span = image, text, max(0.0, min(1.0, span))
        self.update()

    def set_playhead(self, fraction: float, hearing: bool) -> None:
        self.playhead, self.hearing = max(0.0, min(1.0, fraction)), hearing
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, PICTURE_SURROUND)
        if self.image is not None:
            p.drawImage(QRect(0, 0, max(1, round(w * self.span)), h), self.image)
        p.setPen(TEXT_DIM if not self.hearing else WHITE)
        mark = " ◀ heard" if self.hearing else ""
        p.drawText(QRect(6, 2, w - 12, h - 4), Qt.AlignmentFlag.AlignLeft,
                   f"{self.side}: {self.text}{mark}")
        p.setPen(QPen(PLAYHEAD, 2))
        x = round(self.playhead * (w - 1))
        p.drawLine(x, 0, x, h)
        p.end()


class CompareView(QWidget):
    """Two takes side by side, playing in sync from one timer, and their recipe diff.

    Two audio takes show as two waveforms under one playhead (``position`` is then a
    sample at the sequence rate); playing feeds the audio device from ``audio_block``, which
    reads take A or take B at the same sample as the A/B switch says."""

    def __init__(self, decoder: TakeDecoder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.decoder = decoder
        self.cache = FrameCache()
        # Off screen (another tab is showing), a change of takes waits for ``set_on_screen``
        # instead of decoding two takes nobody looks at.
        self.on_screen = True
        self._deferred = False
        self._token = 0
        self._takes: list[Take] = []
        self.position = 0  # master frame (take A's clock)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        decoder.frames_ready.connect(self._on_frames)
        decoder.frames_failed.connect(self._on_failed)
        decoder.audio_ready.connect(self._on_audio)
        # Audio compare: set by the dock (the sequence's rate; whether a device is used).
        self.sample_rate = 48000
        self.use_audio_device = True
        self.audio_mode = False
        self.audio: dict[int, np.ndarray] = {}  # take id -> (n, ch) sound at sample_rate
        self.waves: dict[int, QImage] = {}
        self.hearing = "A"
        self.sample_pos = 0  # where the sound is (the device callback moves it)
        self._stream: Any = None
        self._clock = QElapsedTimer()  # without a device, the playhead follows this clock
        self._clock_from = 0

        self.pick_a = QComboBox()
        self.pick_b = QComboBox()
        self.pick_a.activated.connect(lambda _i: self._load())
        self.pick_b.activated.connect(lambda _i: self._load())
        self.player_a = TakePlayer("A")
        self.player_b = TakePlayer("B")
        self.wave_a = WaveformView("A")
        self.wave_b = WaveformView("B")
        self.ab_button = QPushButton("Hearing A")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("Switch which take is heard, at the same sample (A/B)")
        self.ab_button.toggled.connect(lambda on: self.set_hearing("B" if on else "A"))
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._play_toggled)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self.seek)
        self.counter = QLabel("Frame 0 / 0")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.only_diff = QCheckBox("Differences only")
        self.only_diff.toggled.connect(lambda _on: self._fill_diff())
        self.diff = QTableWidget(0, 3)
        self.diff.setHorizontalHeaderLabels(["Key", "Take A", "Take B"])
        self.diff.verticalHeader().setVisible(False)
        self.diff.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        diff_header = self.diff.horizontalHeader()
        diff_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        diff_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        diff_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.diff.verticalHeader().setDefaultSectionSize(
            self.diff.fontMetrics().height() + 6)
        self.diff.setWordWrap(False)
        self.diff_summary = QLabel("Recipe")

        picks = QHBoxLayout()
        picks.addWidget(QLabel("A"))
        picks.addWidget(self.pick_a, 1)
        picks.addWidget(QLabel("B"))
        picks.addWidget(self.pick_b, 1)
        players = QHBoxLayout()
        players.addWidget(self.player_a, 1)
        players.addWidget(self.player_b, 1)
        self.waves_box = QWidget()
        waves_lay = QVBoxLayout(self.waves_box)
        waves_lay.setContentsMargins(0, 0, 0, 0)
        waves_lay.addWidget(self.wave_a, 1)
        waves_lay.addWidget(self.wave_b, 1)
        players.addWidget(self.waves_box, 1)
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.ab_button)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.counter)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addLayout(picks)
        top_lay.addLayout(players, 1)
        top_lay.addLayout(transport)
        top_lay.addWidget(self.status)
        bottom = QWidget()
        bottom_lay = QVBoxLayout(bottom)
        bottom_lay.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.diff_summary)
        head.addStretch(1)
        head.addWidget(self.only_diff)
        bottom_lay.addLayout(head)
        bottom_lay.addWidget(self.diff, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([300, 200])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        self.set_takes([])

    # --- choosing
    def set_takes(self, takes: list[Take], a: int | None = None, b: int | None = None) -> None:
        """The takes to choose from; ``a``/``b`` pick by id (else keep, else the first two)."""
        keep_a = a if a is not None else self.pick_a.currentData()
        keep_b = b if b is not None else self.pick_b.currentData()
        self._takes = [t for t in takes if t.media_path is not None]
        for pick in (self.pick_a, self.pick_b):
            pick.blockSignals(True)
            pick.clear()
            for t in self._takes:
                pick.addItem(f"{t.name} (seed {t.seed}, {t.backend})", t.id)
        ids = [t.id for t in self._takes]
        if keep_a not in ids:
            keep_a = ids[0] if ids else None
        if keep_b not in ids or (keep_b == keep_a and len(ids) > 1 and b is None):
            keep_b = next((i for i in ids if i != keep_a), keep_a)
        for pick, wanted in ((self.pick_a, keep_a), (self.pick_b, keep_b)):
            if wanted is not None:
                pick.setCurrentIndex(ids.index(wanted))
            pick.blockSignals(False)
        self._load()

    def choose(self, a: int, b: int) -> None:
        self.set_takes(self._takes, a, b)

    def _chosen(self, pick: QComboBox) -> Take | None:
        wanted = pick.currentData()
        return next((t for t in self._takes if t.id == wanted), None)

    def set_on_screen(self, on: bool) -> None:
        self.on_screen = on
        if not on:
            self.pause()
        elif self._deferred:
            self._load()

    def _load(self) -> None:
        if not self.on_screen:
            self._deferred = True
            return
        self._deferred = False
        take_a, take_b = self._chosen(self.pick_a), self._chosen(self.pick_b)

        def ids(*takes: Take | None) -> tuple[int | None, ...]:
            return tuple(None if t is None else t.id for t in takes)

        audio_mode = take_a is not None and take_a.is_audio
        mixed = take_b is not None and take_a is not None and take_b.is_audio != audio_mode
        if mixed:
            take_b = None  # a picture and a sound do not compare
        if ids(self.player_a.take, self.player_b.take) == ids(take_a, take_b) and all(
                (t.id in self.audio) if audio_mode else self.cache.frames(t.id) is not None
                for t in (take_a, take_b) if t is not None):
            # The same pair (a refresh, a star): keep playing, update names and the diff.
            self.player_a.take, self.player_b.take = take_a, take_b
            self._show()
            self._fill_diff()
            return
        self.pause()
        self.audio_mode = audio_mode
        self.player_a.set_take(take_a)
        self.player_b.set_take(take_b)
        self.position = 0
        self.sample_pos = 0
        self.player_a.setVisible(not audio_mode)
        self.player_b.setVisible(not audio_mode)
        self.waves_box.setVisible(audio_mode)
        self.ab_button.setVisible(audio_mode)
        if audio_mode:
            self._load_audio(take_a, take_b)
            if mixed:
                self.status.setText("Take B is a picture take: compare two audio takes")
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self.length - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.play_button.setEnabled(take_a is not None)
        self.status.clear()
        self._token = self.decoder.new_token()
        for take in {t.id: t for t in (take_a, take_b) if t is not None}.values():
            if take.id in self.cache.complete:
                self.cache.frames(take.id)  # mark as recently used
                continue
            self.cache.start(take.id)
            assert take.media_path is not None
            self.decoder.frames(self._token, take.id, take.media_path)
        self._show()
        self._fill_diff()

    def _load_audio(self, take_a: Take | None, take_b: Take | None) -> None:
        keep = {t.id for t in (take_a, take_b) if t is not None}
        for cache in (self.audio, self.waves):
            for old in [i for i in cache if i not in keep]:
                del cache[old]
        self._reset_slider()
        self.play_button.setEnabled(False)
        self.status.clear()
        self._token = self.decoder.new_token()
        for take in {t.id: t for t in (take_a, take_b) if t is not None}.values():
            if take.id not in self.audio:
                assert take.media_path is not None
                self.decoder.audio(self._token, take.id, take.media_path, self.sample_rate)
        self._audio_loaded()
        self._fill_diff()

    def _audio_loaded(self) -> None:
        """The waveforms and the transport once (some of) the sound is decoded."""
        length = self.length
        for view, player in ((self.wave_a, self.player_a), (self.wave_b, self.player_b)):
            take = player.take
            if take is None:
                view.set_wave(None, "No take")
            elif take.id not in self.audio:
                view.set_wave(None, f"{take.name} · seed {take.seed} · decoding…")
            else:
                view.set_wave(self.waves.get(take.id),
                              f"{take.name} · seed {take.seed}",
                              len(self.audio[take.id]) / max(1, length))
        self._reset_slider()
        self.play_button.setEnabled(self.audio_ready())
        self._show()

    def _reset_slider(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self.length - 1))
        self.slider.setValue(min(self.position, max(0, self.length - 1)))
        self.slider.blockSignals(False)

    def audio_ready(self) -> bool:
        """Both audio takes' sound is decoded."""
        takes = [p.take for p in (self.player_a, self.player_b) if p.take is not None]
        return bool(takes) and all(t.id in self.audio for t in takes)

    def _on_audio(self, token: int, take_id: int, samples: np.ndarray, image: QImage) -> None:
        if token != self._token:
            return
        self.audio[take_id] = samples
        self.waves[take_id] = image
        self._audio_loaded()

    @property
    def channels(self) -> int:
        """The channels the compare sound plays in (the wider of the two takes)."""
        found = [self.audio[p.take.id].shape[1] for p in (self.player_a, self.player_b)
                 if p.take is not None and p.take.id in self.audio]
        return max(found, default=2)

    def set_hearing(self, side: str) -> None:
        """Which take the sound comes from ("A" or "B"); the position does not move."""
        self.hearing = "B" if side == "B" else "A"
        if self.ab_button.isChecked() != (self.hearing == "B"):
            self.ab_button.blockSignals(True)
            self.ab_button.setChecked(self.hearing == "B")
            self.ab_button.blockSignals(False)
        self.ab_button.setText(f"Hearing {self.hearing}")
        self._show()

    def audio_block(self, start: int, count: int) -> np.ndarray:
        """``count`` samples from ``start`` (looping over ``length``) of the take being heard,
        as ``(count, channels)`` float32: what the device is fed. A shorter take is silent
        past its end; a mono take plays on every channel."""
        out = np.zeros((count, self.channels), np.float32)
        player = self.player_b if self.hearing == "B" else self.player_a
        length = self.length
        if player.take is None or length <= 0:
            return out
        src = self.audio.get(player.take.id)
        if src is None or len(src) == 0:
            return out
        at = (start + np.arange(count)) % length
        have = at < len(src)
        block = src[at[have]]
        out[have] = block if block.shape[1] == out.shape[1] else block[:, :1]
        return out

    def _audio_callback(self, outdata: np.ndarray, frames: int, _time: Any,
                        _status: Any) -> None:
        # The audio thread: read where the sound is, feed that, move on.
        pos = self.sample_pos
        outdata[:] = self.audio_block(pos, frames)
        length = self.length
        self.sample_pos = (pos + frames) % length if length > 0 else 0

    def _start_audio(self) -> bool:
        self.sample_pos = self.position
        if self.use_audio_device:
            try:
                import sounddevice as sd

                stream = sd.OutputStream(samplerate=self.sample_rate, channels=self.channels,
                                         dtype="float32", callback=self._audio_callback)
                stream.start()
                self._stream = stream
            except Exception as exc:  # no device, a vanished one: say so, stay usable
                self.status.setText(f"Cannot play the compare: no audio device ({exc})")
                return False
        else:
            self._clock_from = self.position
            self._clock.start()
        self.timer.start(AUDIO_TICK_MS)
        return True

    def _stop_audio(self) -> None:
        self.timer.stop()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                pass

    @property
    def length(self) -> int:
        """Frames on the master clock: the longer take decides (the shorter holds its last).
        For audio takes: samples at the sequence rate, the longer take's."""
        a, b = self.player_a.take, self.player_b.take
        if a is None:
            return 0
        if self.audio_mode:
            return max((len(self.audio[t.id]) for t in (a, b)
                        if t is not None and t.id in self.audio), default=0)
        n = a.frame_count
        if b is not None and b.fps > 0:
            n = max(n, int(Fraction(b.frame_count) * a.fps / b.fps))
        return n

    # --- decoding results
    def _on_frames(self, token: int, take_id: int, first: int, images: list[QImage],
                   last: bool) -> None:
        self.cache.add(take_id, first, images, last)
        if token == self._token:
            self._show()

    def _on_failed(self, token: int, take_id: int, message: str) -> None:
        self.cache.drop(take_id)
        if token == self._token:
            self.status.setText(f"Cannot decode take {take_id}: {message}")
            self.pause()

    # --- playback
    def _image(self, player: TakePlayer, master: int) -> tuple[int, QImage | None]:
        if player.take is None or self.player_a.take is None:
            return 0, None
        index = player.index_for(master, self.player_a.take.fps)
        frames = self.cache.frames(player.take.id) or []
        return index, frames[index] if index < len(frames) else None

    def ready(self, master: int) -> bool:
        """Both pictures for this master frame are decoded."""
        for player in (self.player_a, self.player_b):
            if player.take is not None and self._image(player, master)[1] is None:
                return False
        return True

    def _show(self) -> None:
        if self.audio_mode:
            length = self.length
            fraction = self.position / length if length > 0 else 0.0
            self.wave_a.set_playhead(fraction, self.hearing == "A")
            self.wave_b.set_playhead(fraction, self.hearing == "B")
            rate = max(1, self.sample_rate)
            self.counter.setText(f"{self.position / rate:.2f} s / {length / rate:.2f} s")
            return
        for player in (self.player_a, self.player_b):
            if player.take is not None:
                player.show_frame(*self._image(player, self.position))
        self.counter.setText(f"Frame {self.position + 1} / {self.length}")

    def seek(self, frame: int) -> None:
        """Go to a master frame (for audio takes: a sample at the sequence rate)."""
        self._move_to(frame)
        if self.audio_mode:  # the sound follows a seek
            self.sample_pos = self.position
            self._clock_from = self.position
            if self._clock.isValid():
                self._clock.restart()

    def _move_to(self, frame: int) -> None:
        self.position = max(0, min(frame, max(0, self.length - 1)))
        if self.slider.value() != self.position:
            self.slider.blockSignals(True)
            self.slider.setValue(self.position)
            self.slider.blockSignals(False)
        self._show()

    def play(self) -> None:
        if self.player_a.take is None:
            return
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def _play_toggled(self, on: bool) -> None:
        take = self.player_a.take
        if self.audio_mode:
            if on and self.audio_ready() and self._start_audio():
                self.play_button.setText("Pause")
            else:
                self._stop_audio()
                self.play_button.blockSignals(True)
                self.play_button.setChecked(False)
                self.play_button.blockSignals(False)
                self.play_button.setText("Play")
            return
        if on and take is not None and take.fps > 0:
            self.timer.start(max(1, round(1000 / float(take.fps))))
            self.play_button.setText("Pause")
        else:
            self.timer.stop()
            self.play_button.setText("Play")

    def _tick(self) -> None:
        if self.length <= 0:
            return
        if self.audio_mode:  # the playhead follows the sound
            if self._stream is None:
                elapsed = self._clock.elapsed() * self.sample_rate // 1000
                self.sample_pos = (self._clock_from + elapsed) % self.length
            self._move_to(self.sample_pos)
            return
        nxt = self.position + 1
        if nxt >= self.length:
            nxt = 0  # loop
        if not self.ready(nxt):
            return  # wait for the decoder rather than let the two sides drift apart
        self.seek(nxt)

    # --- recipe diff
    def scroll_to_first_difference(self) -> None:
        for row in range(self.diff.rowCount()):
            item = self.diff.item(row, 0)
            if item is not None and item.font().bold():
                self.diff.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtTop)
                return

    def diff_rows(self) -> list[tuple[str, str, str, bool]]:
        a, b = self.player_a.take, self.player_b.take
        if a is None or b is None:
            return []
        return recipe_diff(a.recipe, b.recipe)

    def _fill_diff(self) -> None:
        rows = self.diff_rows()
        differing = sum(1 for r in rows if r[3])
        self.diff_summary.setText(
            f"Recipe: {differing} of {len(rows)} keys differ" if rows else "Recipe")
        if self.only_diff.isChecked():
            rows = [r for r in rows if r[3]]
        self.diff.setRowCount(len(rows))
        bold = bold_font()
        for r, (key, va, vb, differs) in enumerate(rows):
            for c, text in enumerate((key, va, vb)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if differs:
                    cell.setBackground(_DIFF_BRUSH)
                    cell.setFont(bold)
                self.diff.setItem(r, c, cell)


# ---------------------------------------------------------------------------------------------
# The dock


def _ask_delete(parent: QWidget, take: Take) -> bool:
    return confirm(parent, "Delete take",
                   f"Delete {take.name} (seed {take.seed})? Its media file is removed; undoing "
                   "brings the take back to the segment only as pending.")


class TakesBrowser(QWidget):
    """The "Takes" dock for the selected generated segment."""

    takes_changed = Signal()  # the active take changed or a take was removed: re-render

    COLUMNS = ("", "Name", "Seed", "Backend / model", "Format", "★", "Metrics")
    METRICS_COLUMN = 6
    SORTS = (("take order", None), *((f"best {label}", name)
                                     for name, label in take_metrics.SORT_METRICS))

    def __init__(self, project: Callable[[], Project], *,
                 report: Callable[[str], None] | None = None,
                 confirm_delete: Callable[[QWidget, Take], bool] | None = None,
                 use_audio_device: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.use_audio_device = use_audio_device
        self._play_timer = QTimer(self)  # when the take playing ends
        self._play_timer.setSingleShot(True)
        self._play_timer.timeout.connect(self.stop_playing)
        self.report = report or (lambda _m: None)
        self.confirm_delete = confirm_delete or _ask_delete
        self.segment_id: int | None = None
        self.decoder = TakeDecoder(self)
        self.decoder.thumbnail_ready.connect(self._on_thumbnail)
        self.decoder.thumbnail_failed.connect(self._on_thumbnail_failed)
        self.decoder.strip_ready.connect(self._on_strip)
        self.importer = TakeImporter(self)
        self.importer.prepared.connect(self._on_import_prepared)
        self.importer.measured.connect(self._on_measured)
        self.setAcceptDrops(True)  # a video dropped here becomes a take of the segment
        self.thumbnails: dict[int, QPixmap] = {}
        # Hover playback: the take under the pointer plays in its thumbnail cell.
        self.hover_strips: OrderedDict[int, list[QPixmap]] = OrderedDict()
        self._strip_pending: set[int] = set()
        self.hovered: int | None = None  # take id playing under the pointer
        self.hover_frame = 0
        self._hover_timer = QTimer(self)
        self._hover_timer.timeout.connect(self._hover_tick)
        self._thumb_errors: dict[int, str] = {}
        self._pending: set[int] = set()
        self._project_key: Any = None
        self._takes: list[Take] = []
        self._active: int | None = None
        self.figures: dict[int, dict[str, dict[str, Any]]] = {}  # take id -> current metrics
        self.look_first_id: int | None = None

        self.title = QLabel("Select a generated segment")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(THUMB_SIZE)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE.height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, THUMB_SIZE.width() + 8)
        self.sort_box = QComboBox()
        for label, _name in self.SORTS:
            self.sort_box.addItem(f"Sort: {label}")
        self.sort_box.setToolTip("Order the takes by one of their metrics, best first")
        self.sort_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.look_first_label = QLabel("")
        self.look_first_label.setWordWrap(True)
        self.look_first_label.setToolTip("The take to look at first, and why")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.set_active())
        self.table.setMouseTracking(True)
        self.table.cellEntered.connect(self._on_cell_entered)
        self.table.viewport().installEventFilter(self)
        self.active_button = QPushButton("Set active")
        self.active_button.clicked.connect(lambda: self.set_active())
        self.star_button = QPushButton("Star")
        self.star_button.clicked.connect(lambda: self.toggle_star())
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self.delete())
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Compare the two selected takes (or the first two)")
        self.compare_button.clicked.connect(lambda: self.compare())
        # An audio take plays on its own (at the sequence rate, through the resampler the
        # mixer uses); Play again stops it.
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play the selected audio take")
        self.play_button.clicked.connect(lambda: self.toggle_play())
        self.playing_take: int | None = None
        self.play_samples: np.ndarray | None = None
        buttons = QHBoxLayout()
        for b in (self.active_button, self.star_button, self.delete_button, self.play_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.compare_button)
        listing = QWidget()
        list_lay = QVBoxLayout(listing)
        list_lay.setContentsMargins(0, 0, 0, 0)
        list_lay.addWidget(self.title)
        list_lay.addWidget(self.sort_box)
        list_lay.addWidget(self.look_first_label)
        list_lay.addWidget(self.table, 1)
        list_lay.addLayout(buttons)

        self.compare_view = CompareView(self.decoder)
        self.compare_view.on_screen = False  # the List tab shows first
        self.tabs = QTabWidget()
        self.tabs.addTab(listing, "List")
        self.tabs.addTab(self.compare_view, "Compare")
        self.tabs.currentChanged.connect(lambda _i: self._tab_changed())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tabs)
        self.show_segment(None)

    # --- project access
    @property
    def project(self) -> Project:
        return self._project()

    def records(self) -> GenerationRecords:
        return GenerationRecords(self.project)

    def _check_project(self) -> None:
        """Take ids are per project: a different project empties the caches."""
        key = (id(self.project), str(self.project.path))
        if key != self._project_key:
            self._project_key = key
            self.thumbnails.clear()
            self._thumb_errors.clear()
            self._pending.clear()
            self.hover_stop()
            self.hover_strips.clear()
            self._strip_pending.clear()
            self.compare_view.cache.clear()

    # --- showing
    def show_segment(self, item: Any) -> None:
        self.segment_id = item.id if isinstance(item, GeneratedSegment) else None
        self.refresh()

    def _segment(self) -> GeneratedSegment | None:
        if self.segment_id is None:
            return None
        item = self.project.sequence.find_item(self.segment_id)
        return item if isinstance(item, GeneratedSegment) else None

    def refresh(self) -> None:
        """Re-read the segment's takes (cheap: thumbnails are cached; the selection stays)."""
        self._check_project()
        seg = self._segment()
        selected = self.selected_ids()
        if seg is None:
            self.segment_id = None
            self._takes, self._active = [], None
            self.title.setText("Select a generated segment to see its takes")
        else:
            try:
                all_takes = self.records().takes(seg.id)
            except ProjectError as exc:
                self.report(f"Cannot read takes: {exc}")
                all_takes = []
            # The segment's own list decides which takes it has (an undone add hides one).
            by_id = {t.id: t for t in all_takes}
            self._takes = [by_id[i] for i in seg.takes if i in by_id]
            self._active = seg.active_take
            try:
                self.figures = take_metrics.current(self.project, [t.id for t in self._takes])
            except ProjectError as exc:  # an old file not migrated yet reads as unmeasured
                self.report(f"Cannot read take metrics: {exc}")
                self.figures = {}
            sort_name = self.SORTS[max(0, self.sort_box.currentIndex())][1]
            if sort_name is not None:
                order = take_metrics.sort_by([t.id for t in self._takes], self.figures,
                                             sort_name)
                self._takes.sort(key=lambda t: order.index(t.id))
            self.title.setText(f"Segment {seg.id} on {seg.track}: {len(self._takes)} take(s)"
                               + ("" if self._takes else " — generate some in the Generate "
                                  "dock"))
        self._show_look_first()
        self._fill_table(selected)
        # Compare shows two pictures side by side, or two audio takes' waveforms (A/B).
        self.compare_view.sample_rate = self.project.sequence.sample_rate
        self.compare_view.use_audio_device = self.use_audio_device
        kind = self._takes[0].is_audio if self._takes else False
        self.compare_view.set_takes([t for t in self._takes if t.is_audio == kind])
        self._update_buttons()

    def _show_look_first(self) -> None:
        pick = take_metrics.look_first([t.id for t in self._takes], self.figures,
                                       {t.id: t.name for t in self._takes})
        self.look_first_id = None if pick is None else pick[0]
        if pick is None:
            self.look_first_label.setText("Look first: no take measured yet"
                                          if self._takes else "")
        else:
            self.look_first_label.setText(f"Look first: {pick[1]}")

    def _thumbnail_pixmap(self, take_id: int) -> QPixmap | None:
        pix = self.thumbnails.get(take_id)
        if pix is None:
            return None
        return flagged_pixmap(pix, take_metrics.thumbnail_flags(self.figures.get(take_id, {})))

    def _fill_table(self, selected: list[int]) -> None:
        table = self.table
        table.blockSignals(True)
        table.clearSelection()
        table.setRowCount(len(self._takes))
        bold = bold_font()
        for row, take in enumerate(self._takes):
            active = take.id == self._active
            thumb = QTableWidgetItem()
            thumb.setData(Qt.ItemDataRole.UserRole, take.id)
            self._set_thumbnail_cell(thumb, take)
            name = QTableWidgetItem(("▶ " if active else "") + take.name)
            name.setToolTip("Active take" if active else f"Take {take.id}")
            cells = [thumb, name, QTableWidgetItem("" if take.seed is None else str(take.seed)),
                     QTableWidgetItem(take.backend if take.model in ("", take.backend)
                                      else f"{take.backend} / {take.model}"),
                     QTableWidgetItem(take_summary(take))]
            for col, cell in enumerate(cells):
                if active:
                    cell.setFont(bold)
                table.setItem(row, col, cell)
            star = QToolButton()
            star.setCheckable(True)
            star.setChecked(take.starred)
            star.setText("★" if take.starred else "☆")
            star.setToolTip("Starred" if take.starred else "Star this take")
            star.setAutoRaise(True)
            star.toggled.connect(lambda on, i=take.id: self.set_starred(i, on))
            table.setCellWidget(row, 5, star)
            figures = self.figures.get(take.id, {})
            badges = QTableWidgetItem(metric_badges(figures) or "not measured")
            badges.setToolTip(metric_tooltip(figures))
            if take_metrics.warnings(figures):
                badges.setForeground(QBrush(ERROR))
            table.setItem(row, self.METRICS_COLUMN, badges)
        self._select_rows([r for r, t in enumerate(self._takes) if t.id in selected])
        table.blockSignals(False)

    def _select_rows(self, rows: list[int]) -> None:
        model = self.table.selectionModel()
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)
        for row in rows:
            model.select(self.table.model().index(row, 0), flags)

    def _set_thumbnail_cell(self, cell: QTableWidgetItem, take: Take) -> None:
        pix = self._thumbnail_pixmap(take.id)
        flags = take_metrics.warnings(self.figures.get(take.id, {}))
        if flags:
            cell.setToolTip("\n".join(flags))
        if pix is not None:
            cell.setIcon(QIcon(pix))
            cell.setText("")
            return
        if take.id in self._thumb_errors:
            cell.setText("!")
            cell.setToolTip(self._thumb_errors[take.id])
            return
        if take.media_path is None or not take.media_path.is_file():
            cell.setText("no media")
            return
        cell.setText("…")
        if take.id not in self._pending:
            self._pending.add(take.id)
            self.decoder.thumbnail(take.id, take.media_path, take.frame_count)

    # --- hover playback
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table.viewport() and event.type() == QEvent.Type.Leave:
            self.hover_stop()
        return super().eventFilter(watched, event)

    def _on_cell_entered(self, row: int, column: int) -> None:
        cell = self.table.item(row, 0)
        take_id = cell.data(Qt.ItemDataRole.UserRole) if cell is not None else None
        if column == 0 and take_id is not None:
            self.hover_play(int(take_id))
        else:
            self.hover_stop()

    def _take(self, take_id: int) -> Take | None:
        return next((t for t in self._takes if t.id == take_id), None)

    def hover_play(self, take_id: int) -> None:
        """Play the take in its thumbnail cell, looping at its own rate, while hovered."""
        if self.hovered == take_id:
            return
        self.hover_stop()
        take = self._take(take_id)
        if take is None or take.media_path is None or not take.media_path.is_file() or \
                take.is_audio:  # sound plays with Play, not under the pointer
            return
        self.hovered, self.hover_frame = take_id, 0
        step = max(1, -(-take.frame_count // HOVER_MAX_FRAMES))
        self._hover_timer.setInterval(max(15, round(1000 * step / float(take.fps))))
        if take_id in self.hover_strips:
            self.hover_strips.move_to_end(take_id)
            self._hover_timer.start()
        elif take_id not in self._strip_pending:
            self._strip_pending.add(take_id)
            self.decoder.strip(take_id, take.media_path, take.frame_count)

    def hover_stop(self) -> None:
        """Back to the still thumbnail."""
        self._hover_timer.stop()
        take_id, self.hovered = self.hovered, None
        row = None if take_id is None else self._row_of(take_id)
        pix = None if take_id is None else self._thumbnail_pixmap(take_id)
        cell = None if row is None else self.table.item(row, 0)
        if cell is not None and pix is not None:
            cell.setIcon(QIcon(pix))

    def _on_strip(self, take_id: int, images: list[QImage]) -> None:
        self._strip_pending.discard(take_id)
        if not images:
            return
        self.hover_strips[take_id] = [QPixmap.fromImage(i) for i in images]
        while len(self.hover_strips) > HOVER_CACHE_TAKES:
            self.hover_strips.popitem(last=False)
        if self.hovered == take_id:
            self._hover_timer.start()

    def _hover_tick(self) -> None:
        frames = self.hover_strips.get(self.hovered) if self.hovered is not None else None
        row = None if self.hovered is None else self._row_of(self.hovered)
        cell = None if row is None else self.table.item(row, 0)
        if not frames or cell is None:
            self.hover_stop()
            return
        self.hover_frame = (self.hover_frame + 1) % len(frames)
        cell.setIcon(QIcon(frames[self.hover_frame]))

    def _row_of(self, take_id: int) -> int | None:
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell is not None and cell.data(Qt.ItemDataRole.UserRole) == take_id:
                return row
        return None

    def _on_thumbnail(self, take_id: int, image: QImage) -> None:
        self._pending.discard(take_id)
        self.thumbnails[take_id] = QPixmap.fromImage(image)
        row = self._row_of(take_id)
        if row is not None:
            cell = self.table.item(row, 0)
            pix = self._thumbnail_pixmap(take_id)
            if cell is not None and pix is not None:
                cell.setIcon(QIcon(pix))
                cell.setText("")

    def _on_thumbnail_failed(self, take_id: int, message: str) -> None:
        self._pending.discard(take_id)
        self._thumb_errors[take_id] = message
        row = self._row_of(take_id)
        if row is not None and (cell := self.table.item(row, 0)) is not None:
            cell.setText("!")
            cell.setToolTip(f"Cannot decode this take: {message}")

    # --- selection
    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        out = []
        for row in rows:
            cell = self.table.item(row, 0)
            if cell is not None:
                out.append(int(cell.data(Qt.ItemDataRole.UserRole)))
        return out

    def select(self, *take_ids: int) -> None:
        self.table.clearSelection()
        rows = [self._row_of(take_id) for take_id in take_ids]
        self._select_rows([r for r in rows if r is not None])

    def _selected_take(self) -> Take | None:
        ids = self.selected_ids()
        return next((t for t in self._takes if ids and t.id == ids[0]), None)

    def _update_buttons(self) -> None:
        take = self._selected_take()
        self.active_button.setEnabled(take is not None and take.id != self._active)
        self.star_button.setEnabled(take is not None)
        self.star_button.setText("Unstar" if take is not None and take.starred else "Star")
        self.delete_button.setEnabled(take is not None)
        self.compare_button.setEnabled(
            len([t for t in self._takes if not t.is_audio]) >= 2
            or len([t for t in self._takes if t.is_audio]) >= 2)
        self.play_button.setEnabled(take is not None and take.is_audio or
                                    self.playing_take is not None)
        self.play_button.setText("Stop" if self.playing_take is not None else "Play")

    def takes(self) -> list[Take]:
        return list(self._takes)

    def toggle_play(self, take_id: int | None = None) -> bool:
        """Play the selected (or given) audio take, or stop the one playing. True when a
        take started playing."""
        if self.playing_take is not None:
            self.stop_playing()
            return False
        take = self._target(take_id)
        if take is None or not take.is_audio:
            return False
        if take.media_path is None or not take.media_path.is_file():
            self.report(f"The media of take {take.id} is missing")
            return False
        from timeline.media.audio import AudioDecodeError, AudioReader

        rate = self.project.sequence.sample_rate
        try:
            with AudioReader(take.media_path, sample_rate=rate) as reader:
                self.play_samples = reader.read(0, reader.duration_samples)
        except AudioDecodeError as exc:
            self.report(str(exc))
            return False
        self.playing_take = take.id
        if self.use_audio_device:
            try:
                import sounddevice as sd

                sd.play(self.play_samples, rate, blocking=False)
            except Exception as exc:  # no device, a vanished one: say so, stay usable
                self.report(f"Cannot play take {take.id}: {exc}")
                self.playing_take = None
                self._update_buttons()
                return False
        seconds = len(self.play_samples) / rate
        self._play_timer.start(max(1, round(seconds * 1000)))
        self._update_buttons()
        return True

    def stop_playing(self) -> None:
        self._play_timer.stop()
        if self.playing_take is not None and self.use_audio_device:
            try:
                import sounddevice as sd

                sd.stop()
            except Exception:
                pass
        self.playing_take = None
        self._update_buttons()

    @property
    def active_take(self) -> int | None:
        return self._active

    # --- actions (each through GenerationRecords)
    def _target(self, take_id: int | None) -> Take | None:
        if take_id is None:
            return self._selected_take()
        return next((t for t in self._takes if t.id == take_id), None)

    def set_active(self, take_id: int | None = None) -> bool:
        take = self._target(take_id)
        if take is None or take.id == self._active:
            return False
        try:
            self.records().set_active(take.id)
        except ProjectError as exc:
            self.report(str(exc))
            return False
        self.report(f"{take.name} is now the active take")
        self.refresh()
        self.takes_changed.emit()
        return True

    def toggle_star(self, take_id: int | None = None) -> bool:
        take = self._target(take_id)
        return take is not None and self.set_starred(take.id, not take.starred)

    def set_starred(self, take_id: int, starred: bool) -> bool:
        take = self._target(take_id)
        if take is None or take.starred == starred:
            return False
        try:
            self.records().star(take_id, starred)
        except ProjectError as exc:
            self.report(str(exc))
            self.refresh()
            return False
        # Refresh after the toggled() signal has returned: it rebuilds the star buttons.
        QTimer.singleShot(0, self.refresh)
        return True

    def delete(self, take_id: int | None = None) -> bool:
        take = self._target(take_id)
        if take is None or not self.confirm_delete(self, take):
            return False
        try:
            self.records().delete(take.id)
        except ProjectError as exc:
            self.report(str(exc))
            return False
        self.thumbnails.pop(take.id, None)
        self.compare_view.cache.drop(take.id)
        self.report(f"Deleted {take.name}")
        self.refresh()
        self.takes_changed.emit()
        return True

    def compare(self, a: int | None = None, b: int | None = None) -> bool:
        """Show the compare tab for ``a`` and ``b`` (default: the selected two, else the
        first two takes)."""
        ids = [t.id for t in self._takes]
        if a is None or b is None:
            chosen = [i for i in self.selected_ids() if i in ids] or ids
            if len(chosen) == 1:
                chosen = chosen + [i for i in ids if i != chosen[0]]
            if len(chosen) < 2:
                self.report("Compare needs two takes")
                return False
            a, b = chosen[0], chosen[1]
        self.compare_view.choose(a, b)
        self.tabs.setCurrentWidget(self.compare_view)
        return True

    def _tab_changed(self) -> None:
        self.compare_view.set_on_screen(self.tabs.currentWidget() is self.compare_view)

    def iter_rows(self) -> Iterator[tuple[Take, bool, bool]]:
        """(take, has its thumbnail, is active) per row, in order (tests, scripts)."""
        for take in self._takes:
            yield take, take.id in self.thumbnails, take.id == self._active

    # --- importing takes (a video dropped on the dock)
    @staticmethod
    def _local_files(event: Any) -> list[Path]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if self.segment_id is not None and self._local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:  # noqa: N802
        files = self._local_files(event)
        if self.segment_id is None or not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_files(files)

    def import_files(self, files: list[Path]) -> bool:
        """Import videos as takes of the shown segment (decoded on a thread); False when no
        segment is shown or the project cannot be written."""
        if self.segment_id is None:
            return False
        if self.project.read_only:
            self.report("This project is open read-only: takes cannot be imported.")
            return False
        for f in files:
            self.importer.prepare(self.segment_id, f, self.project.media_root / "tmp",
                                  self.project.sequence.fps)
        return True

    def _on_import_prepared(self, segment_id: int, prepared: Any, error: str) -> None:
        from services.take_import import add_import

        if prepared is None:
            self.report(error)
            return
        try:
            take = add_import(self.project, segment_id, prepared)
        except ProjectError as exc:
            prepared.media_file.unlink(missing_ok=True)
            self.report(f"Cannot import {prepared.source.name}: {exc}")
            return
        self.refresh()
        self.takes_changed.emit()
        try:
            request = take_metrics.measure_request_for(self.project, take)
        except ProjectError as exc:
            self.report(f"Take {take.id} was imported, but cannot be measured: {exc}")
            return
        self.importer.measure(take.id, request)

    def _on_measured(self, take_id: int, metrics: Any, error: str) -> None:
        if metrics is None:
            self.report(f"Take {take_id} was imported, but measuring it failed: {error}")
            return
        try:
            TakeMetrics(self.project).write(take_id, metrics, METRICS_VERSION)
        except ProjectError as exc:
            self.report(f"Cannot store the metrics of take {take_id}: {exc}")
            return
        self.refresh()

    def shutdown(self) -> None:
        self.compare_view.pause()
        self.decoder.close()
        self.importer.close()
