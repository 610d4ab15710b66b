"""The viewer: the rendered sequence frame at the playhead, and playback through the engine.

Rendering never runs on the UI thread: scrubbing asks a background thread for the latest
frame (older requests are skipped), and playback renders on the engine's own thread. Both
hand finished pictures to the UI thread through a queued Qt signal.

With View > Show Camera Path / Poses on, the viewer draws the selected generated segment's
conditioning over the picture while the playhead is inside it: the skeletons at that frame
in OpenPose colours and a top-view inset of the camera path. The path is sampled once per
path (not per paint); a paint only maps a few dozen points.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from app.theme import (
    CAMERA_NOW,
    CAMERA_PATH,
    OVERLAY_EDGE,
    OVERLAY_FILL,
    PICTURE_BACKDROP,
    SUBJECT_PLATE,
    joint_colour,
)
from timeline.conditioning.camera import SENSOR_WIDTH_MM, CameraPath
from timeline.conditioning.pose import LIMBS, Skeleton
from timeline.priority import background_thread


def to_qimage(picture: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (H, W, 4) RGBA or (H, W, 3) RGB uint8 array."""
    h, w, channels = picture.shape
    data = np.ascontiguousarray(picture)
    fmt = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
    image = QImage(data.data, w, h, w * channels, fmt)
    return image.copy()  # detach from the numpy buffer


class FrameMailbox(QObject):
    """Carries (frame number, picture) from worker threads to the UI thread."""

    arrived = Signal(int, object)


class ScrubRenderer:
    """Renders the most recently requested frame on a background thread."""

    def __init__(self, render: Callable[[int], np.ndarray], mailbox: FrameMailbox) -> None:
        self._render = render
        self._mailbox = mailbox
        self._wanted: int | None = None
        self._cond = threading.Condition()
        self._closed = False
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="takeline-scrub", daemon=True)
        self._thread.start()

    def request(self, frame: int) -> None:
        with self._cond:
            self._wanted = frame
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        background_thread(2)  # the UI thread paints what this renders: it goes first
        while True:
            with self._cond:
                while self._wanted is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                frame, self._wanted = self._wanted, None
            try:
                picture = self._render(frame)
            except Exception as exc:  # shown in the status bar, never a dead thread
                self.errors.append(f"frame {frame}: {exc}")
                continue
            self._mailbox.arrived.emit(frame, picture)


class CameraInset:
    """A top view of a camera path, normalised into a unit box once per path: the path
    sampled every frame, the subject plate, and the camera at each frame (position and
    look direction) for the viewer to draw cheaply."""

    def __init__(self, path: CameraPath, frames: int, fps: float) -> None:
        self.path = path
        self.frames = max(1, frames)
        cams = path.cameras(range(self.frames), fps)
        pos = np.array([(c.x, c.z) for c in cams], dtype=np.float64)
        fwd = np.array([(c.rotation() @ np.array([0.0, 0.0, 1.0]))[[0, 2]] for c in cams])
        half = path.distance * (SENSOR_WIDTH_MM / 2) / path.reference_focal
        plate = np.array([(-half, path.distance), (half, path.distance)])
        every = np.vstack([pos, plate, [(0.0, 0.0)]])
        lo, hi = every.min(axis=0), every.max(axis=0)
        span = max(float((hi - lo).max()), 0.5) * 1.15
        centre = (lo + hi) / 2

        def unit(p: np.ndarray) -> np.ndarray:
            # x right, forward (z) up, in [0, 1] with the same scale on both axes.
            out = (p - centre) / span + 0.5
            out[..., 1] = 1.0 - out[..., 1]
            return out

        self.points = unit(pos)
        self.plate = unit(plate)
        norms = np.linalg.norm(fwd, axis=1, keepdims=True)
        self.forward = fwd / np.where(norms < 1e-9, 1.0, norms)
        self.reach = path.distance * 0.35 / span


class ViewerWidget(QWidget):
    """Shows the latest picture, fitted into the widget on black."""

    INSET_SIZE = (150, 110)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.shown_frame: int | None = None
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.overlay_enabled = False
        self._aspect = 16 / 9  # the sequence's, for overlays before a picture arrives
        self._skeletons: list[Skeleton] = []
        self._inset: CameraInset | None = None
        self._inset_frame = 0

    def show_picture(self, frame: int, picture: np.ndarray) -> None:
        self._image = to_qimage(picture)
        self.shown_frame = frame
        self.update()

    # --- conditioning overlay
    def set_overlay_enabled(self, on: bool) -> None:
        self.overlay_enabled = on
        if not on:
            self._skeletons, self._inset = [], None
        self.update()

    @property
    def overlay_skeletons(self) -> list[Skeleton]:
        return list(self._skeletons)

    @property
    def overlay_inset(self) -> CameraInset | None:
        return self._inset

    def show_conditioning(self, segment: Any, playhead: int, *, fps: float,
                          aspect: float) -> None:
        """Overlay ``segment``'s poses and camera at the sequence frame ``playhead`` (when
        enabled, the segment is generated and the playhead is inside it); else nothing."""
        self._aspect = aspect
        skeletons: list[Skeleton] = []
        inset = None
        inside = (segment is not None and getattr(segment, "kind", "") == "generated"
                  and segment.start <= playhead < segment.end)
        if self.overlay_enabled and inside:
            frame = playhead - segment.start
            if segment.poses is not None:
                skeletons = [s for _pid, s in segment.poses.at(frame)]
            camera = segment.camera
            if camera is not None:
                old = self._inset
                if old is not None and old.path == camera and old.frames == segment.duration:
                    inset = old
                else:
                    inset = CameraInset(camera, segment.duration, fps)
                self._inset_frame = min(frame, inset.frames - 1)
        changed = (skeletons != self._skeletons or inset is not self._inset
                   or inset is not None)
        self._skeletons, self._inset = skeletons, inset
        if changed:
            self.update()

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn (the overlay's frame)."""
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
        else:
            iw, ih = self._aspect, 1.0
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.fillRect(self.rect(), PICTURE_BACKDROP)
        target = self.picture_rect()
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(target, self._image)
        if self.overlay_enabled and (self._skeletons or self._inset is not None):
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self._paint_skeletons(p, target)
            if self._inset is not None:
                self._paint_inset(p, target)
        p.end()

    def _paint_skeletons(self, p: QPainter, target: QRectF) -> None:
        width = max(2.0, target.height() / 100)
        for skeleton in self._skeletons:
            pts = [None if j is None else QPointF(target.x() + j[0] * target.width(),
                                                  target.y() + j[1] * target.height())
                   for j in skeleton.joints]
            for limb, (a, b) in enumerate(LIMBS):
                pa, pb = pts[a], pts[b]
                if pa is not None and pb is not None:
                    pen = QPen(joint_colour(limb, 200), width)
                    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                    p.setPen(pen)
                    p.drawLine(pa, pb)
            p.setPen(Qt.PenStyle.NoPen)
            for n, pt in enumerate(pts):
                if pt is not None:
                    p.setBrush(joint_colour(n))
                    p.drawEllipse(pt, width, width)

    def _paint_inset(self, p: QPainter, target: QRectF) -> None:
        inset = self._inset
        assert inset is not None
        w, h = self.INSET_SIZE
        box = QRectF(target.right() - w - 8, target.bottom() - h - 8, w, h)
        p.setPen(QPen(OVERLAY_EDGE, 1))
        p.setBrush(OVERLAY_FILL)
        p.drawRoundedRect(box, 4, 4)
        side = min(box.width(), box.height())
        ox = box.x() + (box.width() - side) / 2
        oy = box.y() + (box.height() - side) / 2

        def at(u: float, v: float) -> QPointF:
            return QPointF(ox + u * side, oy + v * side)

        (a, b) = inset.plate
        p.setPen(QPen(SUBJECT_PLATE, 2))
        p.drawLine(at(*a), at(*b))
        p.setPen(QPen(CAMERA_PATH, 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF([at(u, v) for u, v in inset.points]))
        i = self._inset_frame
        here = at(*inset.points[i])
        fx, fz = inset.forward[i]
        reach = inset.reach * side
        tip = QPointF(here.x() + fx * reach, here.y() - fz * reach)
        p.setPen(QPen(CAMERA_NOW, 2))
        p.drawLine(here, tip)
        p.setBrush(CAMERA_NOW)
        p.drawEllipse(here, 3, 3)
