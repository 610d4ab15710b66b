"""What the camera path editor and the pose editor share: a non-modal window on one
generated segment of the window's project, with a frame slider over the segment, a canvas
whose drags show live and commit on release, a picture rendered once per event-loop turn,
and every committed change one ``project.execute({"op": "set", "item": id, <prop>:
value.to_json()})`` (one undo step).

A subclass names ``prop`` and fills in the hooks: ``_load_segment`` (read the model's value
before the slider moves), ``_fill_segment`` (the controls after it), ``_show_nothing``,
``_clear_selection``, ``_show_frame`` and ``render_now``; ``shutdown`` stops its background
work (the window calls it when it closes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.segment_editing import SegmentEditing
from app.theme import KEY_MARK
from generation.brief_compiler import plate_reference
from generation.scene import load_plate, scene_frames
from project_store.project import Project
from project_store.references import reference_path
from timeline.conditioning.camera import CameraPath
from timeline.conditioning.easing import EASINGS
from timeline.model import GeneratedSegment

PREVIEW_WIDTH = 320


# --- the previz picture -------------------------------------------------------------------


def preview_size(project: Project, width: int = PREVIEW_WIDTH) -> tuple[int, int]:
    """(width, height) of a previz picture with the sequence's aspect."""
    st = project.sequence.settings
    return width, max(2, round(width * st.height / max(1, st.width)))


class PlateCache:
    """The segment's previz plate at one size, loaded once per picture (loading and fitting
    a reference picture is the slow part of a previz frame)."""

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._plate: np.ndarray | None = None

    def plate(self, project: Project, seg: GeneratedSegment, width: int,
              height: int) -> np.ndarray | None:
        """The fitted plate, or None for the studio backdrop (no picture, or unreadable)."""
        ref = plate_reference(tuple(seg.references))
        key = (ref.sha256 if ref else None, width, height)
        if key != self._key:
            self._key = key
            self._plate = None
            if ref is not None:
                try:
                    self._plate = load_plate({"path": str(reference_path(project, ref))},
                                             width, height)
                except (OSError, ValueError):
                    self._plate = None  # a missing picture: the backdrop stands in
        return self._plate


def previz_frame(project: Project, seg: GeneratedSegment, plates: PlateCache, frame: float,
                 *, camera: CameraPath | None, poses: Any, width: int,
                 height: int) -> np.ndarray:
    """One previz picture of the segment at (segment) ``frame``."""
    plate = plates.plate(project, seg, width, height)
    fps = float(project.sequence.fps)
    return next(scene_frames(camera=camera, poses=poses, plate=plate, times=[float(frame)],
                             fps=fps, width=width, height=height, max_width=width))


# --- keys ---------------------------------------------------------------------------------


class _Key(Protocol):
    frame: int
    easing: str


K = TypeVar("K", bound=_Key)


def previous_key(keys: Sequence[K], frame: int) -> K | None:
    """The last of ``keys`` (in frame order) before ``frame``."""
    before = [k for k in keys if k.frame < frame]
    return before[-1] if before else None


def easing_after(keys: Sequence[_Key], frame: int, default: str) -> str:
    """The easing a new key at ``frame`` gets: the previous key's, else ``default``."""
    previous = previous_key(keys, frame)
    return previous.easing if previous else default


def make_easing_combo() -> QComboBox:
    """A combo of the easings (shown with spaces, the name as its data)."""
    combo = QComboBox()
    for easing in EASINGS:
        combo.addItem(easing.replace("_", " "), easing)
    return combo


# --- the window ---------------------------------------------------------------------------


class KeyframeEditor(SegmentEditing, QDialog):
    """Edits one keyframed property (``prop``) of one segment; ``edited`` after each
    committed change."""

    edited = Signal()
    prop: str  # the segment property one commit sets: "camera", "poses"
    canvas: Any  # the widget that is dragged on; has ``dragging``

    def __init__(self, project: Callable[[], Project], segment_id: int | None, *,
                 title: str, report: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_segment_editing(project, segment_id, report)
        self.frame = 0
        self._loading = False
        self._plates = PlateCache()
        # One render per event-loop turn, however many times it is asked for; owned by the
        # window, so a pending render dies with it.
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self.render_now)
        self.setWindowTitle(title)
        self.setModal(False)
        self.title = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self.set_frame)
        self.frame_label = QLabel()

    def _lay_out(self, canvas: QWidget, right: QLayout, *, right_stretch: int,
                 header: Iterable[QWidget] = (), frame_row: Iterable[QWidget] = (),
                 size: tuple[int, int]) -> None:
        """The canvas over the frame slider on the left, ``right`` beside it; the title,
        ``header`` and the error line above."""
        self.canvas = canvas
        left = QVBoxLayout()
        left.addWidget(canvas, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Frame"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.frame_label)
        for widget in frame_row:
            row.addWidget(widget)
        left.addLayout(row)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, right_stretch)
        outer = QVBoxLayout(self)
        outer.addWidget(self.title)
        for widget in header:
            outer.addWidget(widget)
        outer.addWidget(self.error)
        outer.addLayout(body, 1)
        self.resize(*size)

    # ------------------------------------------------------------------ hooks
    def _segment_widgets(self) -> Iterable[QWidget]:
        """The controls that are off while no segment is shown."""
        return ()

    def _load_segment(self, seg: GeneratedSegment) -> None:
        """Take the segment's value from the model and title the window."""

    def _fill_segment(self, seg: GeneratedSegment) -> None:
        """Fill the controls (the slider is on the current frame)."""

    def _show_nothing(self) -> None:
        """Empty the controls: no segment."""

    def _clear_selection(self) -> None:
        """Forget the selected key / person (another segment is shown)."""

    def _show_frame(self) -> None:
        """Show the current frame (not its picture: ``request_render``)."""

    def render_now(self) -> None:
        """Draw the current frame's picture."""
        self._render_timer.stop()

    # ------------------------------------------------------------------ showing
    def set_segment(self, segment_id: int | None) -> None:
        if segment_id != self.segment_id:
            self.segment_id = segment_id
            self.frame = 0
            self._clear_selection()
            self.show_error("")
        self.refresh()

    def refresh(self) -> None:
        """Show the segment as the project has it (after an edit, undo or redo)."""
        if self.canvas.dragging:
            return  # the release commits and refreshes
        seg = self.segment()
        self._loading = True
        try:
            for w in self._segment_widgets():
                w.setEnabled(seg is not None)
            if seg is None:
                self.title.setText("Select a generated segment")
                self._show_nothing()
                return
            self._load_segment(seg)
            self.slider.setRange(0, max(0, seg.duration - 1))
            self.frame = min(self.frame, max(0, seg.duration - 1))
            self.slider.setValue(self.frame)
            self._fill_segment(seg)
        finally:
            self._loading = False
        self._show_frame()
        self.request_render()

    def frame_text(self, marked: bool = False) -> str:
        """"frame / last" for the frame label (with the key mark on a key)."""
        seg = self.segment()
        last = seg.duration - 1 if seg else 0
        return f"{self.frame} / {last}{' ' + KEY_MARK if marked else ''}"

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        if self.slider.value() != self.frame:
            self.slider.setValue(self.frame)  # calls back here once
            return
        self._show_frame()
        self.request_render()

    def request_render(self) -> None:
        """Render the picture once the current events are handled (a slider drag or a
        handle drag asks many times; only the last one is drawn)."""
        if not self._render_timer.isActive():
            self._render_timer.start()

    # ------------------------------------------------------------------ edits
    def commit(self, value: Any) -> bool:
        """One ``set <prop>`` edit (None clears it); refusals are shown, never raised."""
        return self._set(**{self.prop: None if value is None else value.to_json()})

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Stop background work (a pending render; a subclass's renders and playback)."""
        self._render_timer.stop()

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


__all__ = ["KeyframeEditor", "PlateCache", "easing_after", "make_easing_combo", "preview_size",
           "previous_key", "previz_frame"]
