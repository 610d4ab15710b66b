"""The Camera path editor: a window for the selected generated segment's keyframed camera.

A top view (the x/z plane seen from above: the subject plate as a line at z = distance, the
path sampled every frame, keys as handles that drag in x/z, the look direction at the
current frame), the camera view (the previz frame at the current frame: the plate through
that frame's camera with the skeletons on top), the keys with their easing, a frame slider,
presets and a Preview that plays the previz.

Dragging shows the move live and commits on release; every committed change is one
``project.execute({"op": "set", "item": id, "camera": path.to_json()})`` (one undo step).
The previz of one frame at 320 pixels takes about 10 ms with the plate cached, so it is
drawn on the UI thread, coalesced to one render per event-loop turn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.camera_presets import CameraPresetPicker, Stages
from app.keyframe_editor import (
    PREVIEW_WIDTH,
    KeyframeEditor,
    PlateCache,
    easing_after,
    make_easing_combo,
    preview_size,
    previz_frame,
)
from app.theme import (
    CAMERA_NOW,
    CAMERA_PATH,
    CANVAS,
    CANVAS_GRID,
    GUIDE_LINE,
    KEYFRAME,
    KEYFRAME_OUTLINE,
    PICTURE_BACKDROP,
    SELECTION,
    SUBJECT_PLATE,
    TEXT_LABEL,
    TEXT_MUTED,
)
from app.viewer import to_qimage
from project_store.project import Project
from timeline.conditioning.camera import (
    CHANNELS,
    SENSOR_WIDTH_MM,
    CameraError,
    CameraKey,
    CameraPath,
    build_path,
    describe,
    static_path,
)
from timeline.model import GeneratedSegment

HANDLE_RADIUS = 5.0
HIT_RADIUS = 8.0


# --- the top view -------------------------------------------------------------------------


def plate_half_width(path: CameraPath) -> float:
    """Half the width of the plate (what the first key's lens sees at the subject)."""
    return path.distance * (SENSOR_WIDTH_MM / 2) / path.reference_focal


class TopView(QWidget):
    """The x/z plane from above: +x right, +z (forward, towards the subject) up."""

    key_selected = Signal(int)  # key index
    key_moved = Signal(int, float, float)  # index, x, z: live while dragging
    key_released = Signal(int, float, float)  # index, x, z: the drag is over, commit it
    frame_picked = Signal(int)  # a click on the path away from a key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(280, 220)
        self.setMouseTracking(False)
        self.path: CameraPath | None = None
        self.frame = 0.0
        self.frames = 1
        self.fps = 24.0
        self.selected: int | None = None
        self._samples: np.ndarray = np.zeros((0, 2))
        self._view: tuple[float, float, float] | None = None  # scale, world cx, world cz
        self._frozen: tuple[float, float, float] | None = None
        self._drag: int | None = None
        self._drag_offset = QPointF()

    # -- data
    def set_path(self, path: CameraPath | None, frames: int, fps: float) -> None:
        self.path = path
        self.frames = max(1, frames)
        self.fps = fps
        if path is None:
            self._samples = np.zeros((0, 2))
        else:
            cams = path.cameras(range(self.frames), fps)
            self._samples = np.array([(c.x, c.z) for c in cams], dtype=np.float64)
        if self.selected is not None and (path is None or self.selected >= len(path.keys)):
            self.selected = None
        self.update()

    def set_frame(self, frame: float) -> None:
        self.frame = frame
        self.update()

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    # -- mapping
    def _compute_view(self) -> tuple[float, float, float]:
        if self._frozen is not None:
            return self._frozen
        path = self.path
        xs, zs = [0.0], [0.0]
        if path is not None:
            hw = plate_half_width(path)
            xs += [-hw, hw]
            zs += [path.distance]
            xs += [k.x for k in path.keys]
            zs += [k.z for k in path.keys]
        if len(self._samples):
            xs += list(self._samples[:, 0])
            zs += list(self._samples[:, 1])
        x0, x1, z0, z1 = min(xs), max(xs), min(zs), max(zs)
        span_x, span_z = max(x1 - x0, 0.5), max(z1 - z0, 0.5)
        margin = 24.0
        scale = min((self.width() - 2 * margin) / span_x, (self.height() - 2 * margin) / span_z)
        return max(scale, 1e-3), (x0 + x1) / 2, (z0 + z1) / 2

    def to_screen(self, x: float, z: float) -> QPointF:
        scale, cx, cz = self._view or self._compute_view()
        return QPointF(self.width() / 2 + (x - cx) * scale, self.height() / 2 - (z - cz) * scale)

    def to_world(self, p: QPointF) -> tuple[float, float]:
        scale, cx, cz = self._view or self._compute_view()
        return cx + (p.x() - self.width() / 2) / scale, cz - (p.y() - self.height() / 2) / scale

    def key_position(self, index: int) -> QPointF:
        """Where key ``index``'s handle is drawn (for tests and scripts)."""
        assert self.path is not None
        key = self.path.keys[index]
        self._view = self._compute_view()
        return self.to_screen(key.x, key.z)

    def hit_key(self, pos: QPointF) -> int | None:
        if self.path is None:
            return None
        self._view = self._compute_view()
        best, best_d = None, HIT_RADIUS
        for i, key in enumerate(self.path.keys):
            p = self.to_screen(key.x, key.z)
            d = math.hypot(p.x() - pos.x(), p.y() - pos.y())
            if d <= best_d:
                best, best_d = i, d
        return best

    # -- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.path is None:
            return super().mousePressEvent(event)
        pos = event.position()
        index = self.hit_key(pos)
        if index is None:
            # A click near the path moves the current frame there.
            if len(self._samples):
                pts = [self.to_screen(x, z) for x, z in self._samples]
                d = [math.hypot(p.x() - pos.x(), p.y() - pos.y()) for p in pts]
                nearest = int(np.argmin(d))
                if d[nearest] <= HIT_RADIUS:
                    self.frame_picked.emit(nearest)
            return
        self.selected = index
        self._frozen = self._compute_view()  # the view holds still under the drag
        self._drag = index
        handle = self.to_screen(self.path.keys[index].x, self.path.keys[index].z)
        self._drag_offset = handle - pos
        self.key_selected.emit(index)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return super().mouseMoveEvent(event)
        x, z = self.to_world(event.position() + self._drag_offset)
        self.key_moved.emit(self._drag, x, z)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        index, self._drag = self._drag, None
        x, z = self.to_world(event.position() + self._drag_offset)
        self._frozen = None
        self.key_released.emit(index, x, z)

    # -- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), CANVAS)
        path = self.path
        if path is None:
            p.setPen(TEXT_MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No camera path")
            p.end()
            return
        self._view = self._compute_view()
        scale = self._view[0]
        # A metre grid.
        p.setPen(QPen(CANVAS_GRID, 1))
        x0, z0 = self.to_world(QPointF(0, self.height()))
        x1, z1 = self.to_world(QPointF(self.width(), 0))
        step = 1.0 if scale > 20 else 5.0
        gx = math.floor(x0 / step) * step
        while gx <= x1:
            a, b = self.to_screen(gx, z0), self.to_screen(gx, z1)
            p.drawLine(a, b)
            gx += step
        gz = math.floor(z0 / step) * step
        while gz <= z1:
            a, b = self.to_screen(x0, gz), self.to_screen(x1, gz)
            p.drawLine(a, b)
            gz += step
        # The subject plate.
        hw = plate_half_width(path)
        p.setPen(QPen(SUBJECT_PLATE, 3))
        p.drawLine(self.to_screen(-hw, path.distance), self.to_screen(hw, path.distance))
        p.setPen(SUBJECT_PLATE)
        label = self.to_screen(-hw, path.distance)
        p.drawText(QPointF(max(4.0, label.x()), label.y() + 14),
                   f"subject plate, {path.distance:g} m")
        # The path, sampled every frame.
        if len(self._samples) > 1:
            line = QPolygonF([self.to_screen(x, z) for x, z in self._samples])
            p.setPen(QPen(CAMERA_PATH, 2))
            p.drawPolyline(line)
        # Look direction and field of view at the current frame.
        state = path.at(self.frame, self.fps)
        r = state.rotation()
        half = SENSOR_WIDTH_MM / 2 / state.focal
        origin = self.to_screen(state.x, state.z)
        reach = path.distance * 0.45
        p.setPen(QPen(GUIDE_LINE, 1, Qt.PenStyle.DashLine))
        for side in (-half, half):
            d = r @ np.array([side, 0.0, 1.0])
            n = math.hypot(d[0], d[2]) or 1.0
            p.drawLine(origin, self.to_screen(state.x + d[0] / n * reach,
                                              state.z + d[2] / n * reach))
        fwd = r @ np.array([0.0, 0.0, 1.0])
        n = math.hypot(fwd[0], fwd[2]) or 1.0
        p.setPen(QPen(CAMERA_NOW, 2))
        p.drawLine(origin, self.to_screen(state.x + fwd[0] / n * reach,
                                          state.z + fwd[2] / n * reach))
        p.setBrush(CAMERA_NOW)
        p.drawEllipse(origin, 4, 4)
        # Keys; keys on one spot (a hold) share one label.
        labels: dict[tuple[int, int], list[str]] = {}
        for i, key in enumerate(path.keys):
            c = self.to_screen(key.x, key.z)
            chosen = i == self.selected
            p.setPen(QPen(KEYFRAME_OUTLINE, 2 if chosen else 1))
            p.setBrush(SELECTION if chosen else KEYFRAME)
            p.drawRect(QRectF(c.x() - HANDLE_RADIUS, c.y() - HANDLE_RADIUS,
                              2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS))
            labels.setdefault((round(c.x()), round(c.y())), []).append(str(key.frame))
        p.setPen(TEXT_LABEL)
        for (x, y), frames in labels.items():
            p.drawText(QPointF(x + 7, y + 12), ", ".join(frames))
        p.setPen(TEXT_MUTED)
        p.drawText(QRectF(6, 4, self.width() - 12, 18), Qt.AlignmentFlag.AlignLeft,
                   "Top view (x right, forward up) · drag keys")
        p.end()


# --- the camera view ----------------------------------------------------------------------


class PictureView(QWidget):
    """A picture fitted into the widget on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setMinimumSize(PREVIEW_WIDTH, 180)

    def set_picture(self, picture: np.ndarray | None) -> None:
        self.image = None if picture is None else to_qimage(picture)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), PICTURE_BACKDROP)
        if self.image is not None:
            iw, ih = self.image.width(), self.image.height()
            s = min(self.width() / iw, self.height() / ih)
            w, h = iw * s, ih * s
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h),
                        self.image)
        p.end()


# --- the editor ---------------------------------------------------------------------------


KEY_FIELDS: tuple[tuple[str, str, float, float, int], ...] = (
    # channel, label, min, max, decimals
    ("x", "x (m, right)", -1000.0, 1000.0, 3),
    ("y", "y (m, down)", -1000.0, 1000.0, 3),
    ("z", "z (m, forward)", -1000.0, 1000.0, 3),
    ("pan", "pan (°, right)", -3600.0, 3600.0, 2),
    ("tilt", "tilt (°, up)", -90.0, 90.0, 2),
    ("roll", "roll (°)", -360.0, 360.0, 2),
    ("focal", "focal (mm)", 4.0, 1200.0, 1),
)


class CameraEditor(KeyframeEditor):
    """Edits one segment's camera path; ``edited`` after each committed change."""

    prop = "camera"

    def __init__(self, project: Callable[[], Project], segment_id: int, *,
                 report: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(project, segment_id, title="Camera path", report=report,
                         parent=parent)
        self.path: CameraPath = static_path()

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.top = TopView()
        self.top.key_moved.connect(self._on_key_moved)
        self.top.key_released.connect(self._on_key_released)
        self.top.key_selected.connect(self._on_key_selected)
        self.top.frame_picked.connect(lambda f: self.slider.setValue(f))
        self.view = PictureView()

        self.preview_button = QPushButton("Preview")
        self.preview_button.setCheckable(True)
        self.preview_button.toggled.connect(self._toggle_preview)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._preview_step)

        self.keys = QTableWidget(0, 2)
        self.keys.setHorizontalHeaderLabels(["Frame", "Easing to next key"])
        self.keys.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.keys.verticalHeader().hide()
        self.keys.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.keys.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.keys.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.keys.itemSelectionChanged.connect(self._on_row_selected)
        self.keys.setMinimumHeight(120)
        self.add_key_button = QPushButton("Add key at frame")
        self.add_key_button.clicked.connect(self.add_key)
        self.delete_key_button = QPushButton("Delete key")
        self.delete_key_button.clicked.connect(self.delete_key)

        self.fields: dict[str, QDoubleSpinBox] = {}
        for channel, _label, lo, hi, decimals in KEY_FIELDS:
            box = QDoubleSpinBox()
            box.setRange(lo, hi)
            box.setDecimals(decimals)
            box.setKeyboardTracking(False)  # one commit per entry, not per keystroke
            box.setSingleStep(0.1 if decimals == 3 else 1.0)
            box.valueChanged.connect(lambda _v, c=channel: self._field_changed(c))
            self.fields[channel] = box
        self.distance = QDoubleSpinBox()
        self.distance.setRange(0.1, 1000.0)
        self.distance.setDecimals(2)
        self.distance.setSuffix(" m")
        self.distance.setKeyboardTracking(False)
        self.distance.valueChanged.connect(self._distance_changed)

        self.presets = CameraPresetPicker()
        self.presets.applied.connect(self.apply_stages)
        self.presets.refused.connect(self.show_error)
        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        right = QVBoxLayout()
        self.view.setMaximumHeight(240)
        right.addWidget(self.view, 1)
        keys = QGroupBox("Keys")
        lay = QVBoxLayout(keys)
        lay.addWidget(self.keys)
        row = QHBoxLayout()
        row.addWidget(self.add_key_button)
        row.addWidget(self.delete_key_button)
        lay.addLayout(row)
        form = QFormLayout()
        for channel, label, *_ in KEY_FIELDS:
            form.addRow(label, self.fields[channel])
        form.addRow("subject distance", self.distance)
        lay.addLayout(form)
        right.addWidget(keys)
        presets = QGroupBox("Preset")
        lay = QVBoxLayout(presets)
        lay.addWidget(self.presets)
        right.addWidget(presets)
        self._lay_out(self.top, right, right_stretch=2, header=[self.description],
                      frame_row=[self.preview_button], size=(980, 640))

    # ------------------------------------------------------------------ showing
    def _segment_widgets(self) -> tuple[QWidget, ...]:
        return (self.top, self.slider, self.keys, self.add_key_button,
                self.delete_key_button, self.presets, self.preview_button, self.distance,
                *self.fields.values())

    def _clear_selection(self) -> None:
        self.top.selected = None

    def _show_nothing(self) -> None:
        self.description.setText("")
        self.top.set_path(None, 1, 24.0)
        self.view.set_picture(None)
        self.keys.setRowCount(0)

    def _load_segment(self, seg: GeneratedSegment) -> None:
        self.path = seg.camera if seg.camera is not None else static_path()
        self.title.setText(f"<b>Segment {seg.id}</b>: {seg.duration} frames"
                           + ("" if seg.camera is not None else " · no camera move yet"))
        self.description.setText(f"<i>{describe(self.path, float(self.project.sequence.fps))}</i>")

    def _fill_segment(self, seg: GeneratedSegment) -> None:
        self.top.set_path(self.path, seg.duration, float(self.project.sequence.fps))
        self._fill_keys()
        self.distance.setValue(self.path.distance)
        self.presets.show_stages(self.path.stages)

    def _fill_keys(self) -> None:
        selected = self.top.selected
        self.keys.setRowCount(len(self.path.keys))
        for row, key in enumerate(self.path.keys):
            item = QTableWidgetItem(str(key.frame))
            item.setData(Qt.ItemDataRole.UserRole, row)
            self.keys.setItem(row, 0, item)
            combo = make_easing_combo()
            combo.setCurrentIndex(max(0, combo.findData(key.easing)))
            combo.currentIndexChanged.connect(
                lambda _i, r=row, c=combo: self.set_easing(r, c.currentData()))
            self.keys.setCellWidget(row, 1, combo)
        if selected is not None and selected < len(self.path.keys):
            self.keys.selectRow(selected)
        else:
            self.keys.clearSelection()
        self._fill_fields()

    def _fill_fields(self) -> None:
        index = self.top.selected
        was = self._loading
        self._loading = True
        try:
            key = self.path.keys[index] if index is not None and index < len(
                self.path.keys) else None
            for channel, box in self.fields.items():
                box.setEnabled(key is not None)
                if key is not None:
                    box.setValue(getattr(key, channel))
        finally:
            self._loading = was

    def easing_combo(self, row: int) -> QComboBox:
        """The easing combo of key ``row`` (for tests and scripts)."""
        combo = self.keys.cellWidget(row, 1)
        assert isinstance(combo, QComboBox)
        return combo

    def _show_frame(self) -> None:
        self.top.set_frame(self.frame)
        self.frame_label.setText(self.frame_text(any(k.frame == self.frame
                                                     for k in self.path.keys)))

    def render_now(self) -> None:
        super().render_now()
        seg = self.segment()
        if seg is None:
            self.view.set_picture(None)
            return
        w, h = preview_size(self.project)
        try:
            picture = previz_frame(self.project, seg, self._plates, self.frame,
                                   camera=self.path, poses=seg.poses, width=w, height=h)
        except (ValueError, np.linalg.LinAlgError) as exc:
            self.show_error(f"Cannot draw the camera view: {exc}")
            return
        self.view.set_picture(picture)

    # ------------------------------------------------------------------ edits
    def _moved_path(self, index: int, x: float, z: float) -> CameraPath | None:
        if not 0 <= index < len(self.path.keys):
            return None
        key = self.path.keys[index]
        try:
            return self.path.with_key(replace(key, x=round(x, 4), z=round(z, 4)))
        except CameraError:
            return None

    def _on_key_moved(self, index: int, x: float, z: float) -> None:
        path = self._moved_path(index, x, z)
        if path is None:
            return
        self.path = path
        seg = self.segment()
        self.top.set_path(path, seg.duration if seg else 1, float(self.project.sequence.fps))
        self.request_render()

    def _on_key_released(self, index: int, x: float, z: float) -> None:
        seg = self.segment()
        original = seg.camera if seg is not None and seg.camera is not None else static_path()
        path = self._moved_path(index, x, z)
        if path is None or path == original:
            self.refresh()
            return
        self.commit(path)

    def _on_key_selected(self, index: int) -> None:
        self.top.selected = index
        was = self._loading
        self._loading = True
        try:
            self.keys.selectRow(index)
        finally:
            self._loading = was
        self._fill_fields()
        self.slider.setValue(self.path.keys[index].frame)

    def _on_row_selected(self) -> None:
        if self._loading:
            return
        rows = self.keys.selectionModel().selectedRows()
        if not rows:
            return
        index = rows[0].row()
        self.top.selected = index
        self.top.update()
        self._fill_fields()
        if index < len(self.path.keys):
            self.slider.setValue(self.path.keys[index].frame)

    def set_easing(self, index: int, easing: str) -> bool:
        if self._loading or not 0 <= index < len(self.path.keys):
            return False
        key = self.path.keys[index]
        if key.easing == easing:
            return False
        self.top.selected = index
        return self.commit(self.path.with_key(replace(key, easing=easing)))

    def _field_changed(self, channel: str) -> None:
        if self._loading or self.top.selected is None:
            return
        self.set_key_value(self.top.selected, channel, self.fields[channel].value())

    def set_key_value(self, index: int, channel: str, value: float) -> bool:
        if channel not in CHANNELS or not 0 <= index < len(self.path.keys):
            return False
        key = self.path.keys[index]
        if math.isclose(getattr(key, channel), value, abs_tol=1e-9):
            return False
        try:
            path = self.path.with_key(replace(key, **{channel: float(value)}))
        except CameraError as exc:
            self.show_error(str(exc))
            self._fill_fields()
            return False
        return self.commit(path)

    def _distance_changed(self, value: float) -> None:
        if self._loading or math.isclose(value, self.path.distance):
            return
        try:
            path = replace(self.path, distance=float(value))
        except CameraError as exc:
            self.show_error(str(exc))
            return
        self.commit(path)

    def add_key(self) -> bool:
        """A key at the current frame holding the camera the path has there now."""
        if self.segment() is None:
            return False
        if any(k.frame == self.frame for k in self.path.keys):
            self.show_error(f"There is a key at frame {self.frame} already; drag it or edit "
                            "its fields")
            return False
        base = replace(self.path, handheld=None).at(self.frame)
        easing = easing_after(self.path.keys, self.frame, "ease_in_out")
        path = self.path.with_key(CameraKey.at(self.frame, base, easing))
        self.top.selected = next(i for i, k in enumerate(path.keys) if k.frame == self.frame)
        return self.commit(path)

    def delete_key(self) -> bool:
        """Delete the selected key (else the key at the current frame)."""
        index = self.top.selected
        if index is None:
            index = next((i for i, k in enumerate(self.path.keys) if k.frame == self.frame),
                         None)
        if index is None or index >= len(self.path.keys):
            self.show_error("Select a key to delete (click its handle or its row)")
            return False
        try:
            path = self.path.without_key(self.path.keys[index].frame)
        except CameraError as exc:
            self.show_error(str(exc))
            return False
        self.top.selected = None
        return self.commit(path)

    def apply_preset(self, name: str, amount: float | None = None) -> bool:
        return self.apply_stages([(name, amount)])

    def apply_stages(self, stages: Stages) -> bool:
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        try:
            path = build_path(stages, seg.duration, distance=self.path.distance,
                              focal=self.path.reference_focal)
        except CameraError as exc:
            self.show_error(str(exc))
            return False
        self.top.selected = None
        return self.commit(path)

    # ------------------------------------------------------------------ preview
    def _toggle_preview(self, on: bool) -> None:
        if on:
            seg = self.segment()
            if seg is None:
                self.preview_button.setChecked(False)
                return
            if self.frame >= seg.duration - 1:
                self.slider.setValue(0)
            self._timer.start(max(10, round(1000 / float(self.project.sequence.fps))))
            self.preview_button.setText("Stop")
        else:
            self._timer.stop()
            self.preview_button.setText("Preview")

    def _preview_step(self) -> None:
        seg = self.segment()
        if seg is None or self.frame >= seg.duration - 1:
            self.preview_button.setChecked(False)
            return
        self.slider.setValue(self.frame + 1)
        self.render_now()  # draw each frame of the preview, not only the last

    def shutdown(self) -> None:
        self.preview_button.setChecked(False)
        super().shutdown()


__all__ = ["CameraEditor", "PictureView", "PlateCache", "TopView", "previz_frame",
           "preview_size"]
