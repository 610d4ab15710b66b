"""The viewer: the rendered sequence frame at the playhead, and playback through the engine.

Rendering never runs on the UI thread: scrubbing asks a background thread for the latest
frame (older requests are skipped), and playback renders on the engine's own thread. Both
hand finished pictures to the UI thread through a queued Qt signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget


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


class ViewerWidget(QWidget):
    """Shows the latest picture, fitted into the widget on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.shown_frame: int | None = None
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def show_picture(self, frame: int, picture: np.ndarray) -> None:
        self._image = to_qimage(picture)
        self.shown_frame = frame
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(target, self._image)
        p.end()
