"""The timeline panel: tracks, clips, generated segments, dissolves, markers and the playhead,
painted straight from the model. Every change goes through ``Project`` commands; this widget
only reads the sequence and asks for edits.

Clips show their media once the background caches arrive (``set_media_caches``): video
clips a filmstrip of thumbnails tiled from the clip's left edge, each tile the thumbnail at
or before the source time under its left edge; audio clips (and the linked sound of video
clips, in a band at the bottom) the min/max envelope of their waveform peaks, one column
per pixel. Until then clips are painted as plain boxes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from timeline.media.thumbnails import Filmstrip, Waveform
from timeline.model import Clip, Item, Sequence
from timeline.time import timecode

RULER_H = 34
TRACK_H = 44
HEADER_W = 64

CLIP_VIDEO = QColor(70, 110, 170)
CLIP_AUDIO = QColor(60, 140, 100)
CLIP_STILL = QColor(150, 110, 60)
GENERATED = QColor(140, 80, 170)
SELECTED = QColor(245, 200, 60)
STALE_BADGE = QColor(198, 40, 40)
TAKES_BADGE = QColor(0, 0, 0, 140)
WAVE_COLOUR = QColor(170, 235, 195)
WAVE_BAND = QColor(20, 40, 30, 170)
LABEL_BACKDROP = QColor(0, 0, 0, 120)
WAVE_FLOOR_DB = -36.0  # waveforms are drawn in dB: quieter than this is a flat line
MARKER_COLOURS = {"blue": QColor(80, 140, 255), "green": QColor(80, 200, 110),
                  "red": QColor(230, 80, 80), "purple": QColor(180, 110, 230),
                  "yellow": QColor(230, 210, 70), "orange": QColor(240, 150, 50)}


class TimelineView(QWidget):
    """Zoomable, scrollable painter of one sequence. Click sets the playhead and selects."""

    playhead_moved = Signal(int)
    selection_changed = Signal(object)  # item id or None

    def __init__(self, sequence_getter: Callable[[], Sequence],
                 asset_kind: Callable[[int], tuple[str, str] | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sequence = sequence_getter
        self._asset_kind = asset_kind
        self.pixels_per_frame = 4.0
        self.scroll_frames = 0
        self.playhead = 0
        self.selected: int | None = None
        # Generated segments whose active take no longer matches their brief; the window
        # sets it once per refresh (it reads the project), never per paint.
        self.stale: frozenset[int] = frozenset()
        self.filmstrips: dict[int, Filmstrip] = {}
        self.waveforms: dict[int, Waveform] = {}
        # asset -> (the filmstrip they came from, tile height, its thumbnails as QImages)
        self._thumb_images: dict[int, tuple[Filmstrip, int, list[QImage]]] = {}
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(RULER_H + TRACK_H * 4 + 8)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(900, RULER_H + TRACK_H * len(self._sequence().tracks) + 8)

    # --- geometry
    def x_of(self, frame: int) -> float:
        return HEADER_W + (frame - self.scroll_frames) * self.pixels_per_frame

    def frame_at(self, x: float) -> int:
        # Floor, so a click anywhere on a frame's column selects that frame.
        return max(0, int((x - HEADER_W) // self.pixels_per_frame) + self.scroll_frames)

    def track_rows(self) -> list[tuple[str, QRectF]]:
        rows = []
        # Video tracks top-down V2 above V1 (NLE convention), then audio A1, A2 below.
        seq = self._sequence()
        video = sorted(seq.video_tracks, key=lambda t: -t.info.index)
        audio = sorted(seq.audio_tracks, key=lambda t: t.info.index)
        for i, track in enumerate(video + audio):
            rows.append((track.name, QRectF(0, RULER_H + i * TRACK_H, self.width(), TRACK_H)))
        return rows

    def item_at(self, pos: QPointF) -> Item | None:
        seq = self._sequence()
        frame = self.frame_at(pos.x())
        for name, rect in self.track_rows():
            if rect.contains(pos):
                return seq.track(name).item_at(frame)
        return None

    def set_playhead(self, frame: int) -> None:
        frame = max(0, frame)
        if frame != self.playhead:
            self.playhead = frame
            self.playhead_moved.emit(frame)
            self.update()

    def fit(self) -> None:
        duration = max(1, self._sequence().duration_frames)
        self.scroll_frames = 0
        self.pixels_per_frame = max(0.05, (self.width() - HEADER_W - 20) / duration)
        self.update()

    def set_stale(self, segment_ids: Iterable[int]) -> None:
        stale = frozenset(segment_ids)
        if stale != self.stale:
            self.stale = stale
            self.update()

    # --- media caches
    def set_media_caches(self, filmstrips: Mapping[int, Filmstrip],
                         waveforms: Mapping[int, Waveform]) -> None:
        """Thumbnails and waveform peaks by asset id; assets left out paint as plain boxes.
        QImages are made again only for filmstrips that changed."""
        self.filmstrips = dict(filmstrips)
        self.waveforms = dict(waveforms)
        self._thumb_images = {
            asset: cached for asset, cached in self._thumb_images.items()
            if self.filmstrips.get(asset) is cached[0]
        }
        self.update()

    def _thumbnails(self, asset: int, height: int) -> list[QImage] | None:
        """The asset's thumbnails scaled to ``height`` pixels, made once per height."""
        strip = self.filmstrips.get(asset)
        if strip is None or len(strip) == 0 or height <= 0:
            return None
        cached = self._thumb_images.get(asset)
        if cached is not None and cached[0] is strip and cached[1] == height:
            return cached[2]
        w, h = strip.size
        images = []
        for frame in strip.frames:
            image = QImage(np.ascontiguousarray(frame).data, w, h, 3 * w,
                           QImage.Format.Format_RGB888)
            # scaled() (or copy()) detaches from the numpy buffer.
            images.append(image.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
                          if height != h else image.copy())
        self._thumb_images[asset] = (strip, height, images)
        return images

    # --- input
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if pos.x() < HEADER_W:
            return
        self.set_playhead(self.frame_at(pos.x()))
        if pos.y() > RULER_H:
            item = self.item_at(pos)
            self.selected = item.id if item else None
            self.selection_changed.emit(self.selected)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and event.position().y() <= RULER_H:
            self.set_playhead(self.frame_at(event.position().x()))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.frame_at(event.position().x())
            self.pixels_per_frame = min(64.0, max(0.02, self.pixels_per_frame * 1.25 ** steps))
            # Keep the frame under the mouse where it was.
            self.scroll_frames = max(
                0, int(anchor - (event.position().x() - HEADER_W) / self.pixels_per_frame))
        else:
            shift = int(steps * 60 / self.pixels_per_frame)
            self.scroll_frames = max(0, self.scroll_frames - shift)
        self.update()

    # --- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        seq = self._sequence()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), QColor(32, 33, 36))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        p.setFont(small)
        self._paint_ruler(p, seq)
        for name, rect in self.track_rows():
            track = seq.track(name)
            p.fillRect(rect.adjusted(0, 1, 0, -1), QColor(40, 42, 46))
            header = QRectF(0, rect.top(), HEADER_W, rect.height())
            p.fillRect(header.adjusted(0, 1, 0, -1), QColor(52, 54, 60))
            p.setPen(QColor(220, 220, 220))
            flags = "".join(s for s, on in (("M", track.info.muted), ("S", track.info.solo),
                                            ("L", track.info.locked), ("H", track.info.hidden))
                            if on)
            p.drawText(header.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter,
                       f"{name} {flags}".strip())
            first = self.frame_at(HEADER_W)
            last = self.frame_at(self.width()) + 1
            for item in track.overlapping(first, last):
                self._paint_item(p, item, rect)
            for tr in track.transitions.values():
                a = seq.find_item(tr.from_item)
                if a is None:
                    continue
                x0 = self.x_of(a.end - tr.in_offset)
                x1 = self.x_of(a.end + tr.out_offset)
                box = QRectF(x0, rect.top() + 4, max(2.0, x1 - x0), rect.height() - 8)
                p.setPen(QPen(QColor(255, 255, 255, 200), 1))
                p.drawLine(box.bottomLeft(), box.topRight())
                p.drawLine(box.topLeft(), box.bottomRight())
        for m in seq.markers.values():
            x = self.x_of(m.frame)
            colour = MARKER_COLOURS.get(m.color, QColor(80, 140, 255))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRect(QRectF(x - 3, RULER_H - 12, 7, 10))
            p.setPen(colour)
            p.drawText(QPointF(x + 6, RULER_H - 3), m.name)
        x = self.x_of(self.playhead)
        p.setPen(QPen(QColor(255, 70, 60), 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.end()

    def _paint_ruler(self, p: QPainter, seq: Sequence) -> None:
        p.fillRect(QRectF(0, 0, self.width(), RULER_H), QColor(24, 25, 28))
        if seq.in_point is not None or seq.out_point is not None:
            x0 = self.x_of(seq.in_point or 0)
            x1 = self.x_of(seq.out_point if seq.out_point is not None else seq.duration_frames)
            p.fillRect(QRectF(x0, 15, x1 - x0, 4), QColor(90, 140, 220, 200))
        fps = seq.fps
        # A label about every 100 px, on whole seconds when zoomed out.
        step = max(1, int(100 / self.pixels_per_frame))
        nominal = round(fps)
        if step >= nominal:
            step = (step // nominal + 1) * nominal
        frame = (self.scroll_frames // step) * step
        p.setPen(QColor(150, 150, 150))
        while self.x_of(frame) < self.width():
            x = self.x_of(frame)
            if x >= HEADER_W:
                p.drawLine(QPointF(x, 0), QPointF(x, 14))
                p.drawText(QPointF(x + 3, 12), timecode(frame, fps))
            frame += step

    def _paint_item(self, p: QPainter, item: Item, row: QRectF) -> None:
        x0 = max(float(HEADER_W), self.x_of(item.start))
        x1 = self.x_of(item.end)
        if x1 <= HEADER_W:
            return
        box = QRectF(x0, row.top() + 3, max(1.0, x1 - x0 - 1), row.height() - 6)
        if item.kind == "generated":
            colour, label = GENERATED, _generated_label(item)
        else:
            asset: Any = getattr(item, "asset", None)
            kind, name = self._asset_kind(asset) or ("", f"asset {asset} (not in project)")
            colour = {"audio": CLIP_AUDIO, "image": CLIP_STILL}.get(
                kind, CLIP_AUDIO if row_is_audio(item) else CLIP_VIDEO)
            label = name
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRect(box)
        media = isinstance(item, Clip) and self._paint_media(p, item, box, row_is_audio(item))
        p.setPen(QPen(SELECTED if item.id == self.selected else colour.lighter(140),
                      2 if item.id == self.selected else 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box)
        p.setPen(QColor(240, 240, 240))
        text_box = box.adjusted(4, 2, -2, -2)
        if media:
            # Over pictures and waveforms the name needs a backdrop to stay readable.
            bounds = p.fontMetrics().boundingRect(label)
            backdrop = QRectF(text_box.left() - 2, text_box.top() - 1,
                              min(text_box.width() + 2, bounds.width() + 6), bounds.height() + 2)
            p.fillRect(backdrop, LABEL_BACKDROP)
        p.drawText(text_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        if item.kind == "generated":
            self._paint_generated_badges(p, item, box)

    def _paint_generated_badges(self, p: QPainter, item: Item, box: QRectF) -> None:
        """Bottom-right of the segment: its take count and, when its active take was made
        from another brief, a red STALE badge (kept over the count when the box is narrow)."""
        takes = len(getattr(item, "takes", ()))
        badges = [(f"{takes} take{'s' if takes != 1 else ''}", TAKES_BADGE)]
        if item.id in self.stale:
            badges.append(("STALE", STALE_BADGE))
        metrics = p.fontMetrics()
        right = box.right() - 3
        bottom = box.bottom() - 3
        for text, colour in reversed(badges):
            w = metrics.horizontalAdvance(text) + 8
            h = metrics.height() + 2
            if right - w < box.left() + 3 or h > box.height() - 4:
                continue
            badge = QRectF(right - w, bottom - h, w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(badge, 3, 3)
            p.setPen(QColor(255, 255, 255))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
            right = badge.left() - 4

    def _paint_media(self, p: QPainter, clip: Clip, box: QRectF, on_audio_track: bool) -> bool:
        """Thumbnails and/or waveform of a clip inside ``box``; False if there were none."""
        inner = box.adjusted(1, 1, -1, -1)
        if inner.width() < 1 or inner.height() < 4:
            return False
        seq = self._sequence()
        clip_x = self.x_of(clip.start)  # where source frame ``source_in`` is, maybe offscreen
        waveform = self.waveforms.get(clip.asset)
        thumbs = None if on_audio_track else self._thumbnails(
            clip.asset, int(inner.height()) if waveform is None else
            int(inner.height() - _wave_band(inner.height())))
        if thumbs is None and waveform is None:
            return False
        p.save()
        p.setClipRect(inner)
        picture_h = 0.0
        if thumbs is not None:
            strip = self.filmstrips[clip.asset]
            picture_h = float(thumbs[0].height())
            tile_w = max(8, thumbs[0].width())
            times = strip.times
            fps = float(seq.fps)
            first_tile = max(0, math.floor((inner.left() - clip_x) / tile_w))
            left = clip_x + first_tile * tile_w
            while left < inner.right():
                source_frame = clip.source_in + (left - clip_x) / self.pixels_per_frame
                k = max(0, int(np.searchsorted(times, source_frame / fps, side="right")) - 1)
                p.drawImage(QPointF(left, inner.top()), thumbs[k])
                left += tile_w
        if waveform is not None:
            band = inner if thumbs is None else QRectF(
                inner.left(), inner.top() + picture_h, inner.width(), inner.height() - picture_h)
            if thumbs is not None:
                p.fillRect(band, WAVE_BAND)
            self._paint_waveform(p, clip, waveform, band, clip_x, float(seq.fps))
        p.restore()
        return True

    def _paint_waveform(self, p: QPainter, clip: Clip, waveform: Waveform, band: QRectF,
                        clip_x: float, fps: float) -> None:
        """The min/max envelope of the clip's source samples, one column per pixel."""
        peaks = waveform.peaks
        bins = peaks.shape[0]
        if bins == 0 or band.height() < 2:
            return
        xa = math.floor(band.left())
        xb = math.ceil(band.right())
        if xb <= xa:
            return
        # Pixel column x spans sequence frames from (x - clip_x) / ppf after the clip start;
        # those are source frames source_in + ..., at the file's samples origin + frame * sr
        # / fps (the mixer's mapping), in bins of samples_per_bin.
        edges_x = np.arange(xa, xb + 1, dtype=np.float64)
        source_frames = clip.source_in + (edges_x - clip_x) / self.pixels_per_frame
        samples = waveform.origin + source_frames * (waveform.sample_rate / fps)
        edges = np.floor(samples / waveform.samples_per_bin).astype(np.int64)
        starts, ends = edges[:-1], edges[1:]
        ok = (ends > 0) & (starts < bins)
        if not ok.any():
            return
        starts = np.clip(starts[ok], 0, bins - 1)
        ends = np.clip(np.maximum(ends[ok], starts + 1), 1, bins)
        columns = edges_x[:-1][ok]
        lo, hi = int(starts[0]), int(ends[-1])
        mono_min = peaks[lo:hi, :, 0].min(axis=1)
        mono_max = peaks[lo:hi, :, 1].max(axis=1)
        # reduceat over [start, next start) per column; a column inside one bin takes that
        # bin, and the last column runs to ``hi`` (ends never decrease).
        rel = starts - lo
        col_min = np.minimum.reduceat(mono_min, rel)
        col_max = np.maximum.reduceat(mono_max, rel)
        mid = band.center().y()
        half = band.height() / 2 - 1
        top = mid - _display_level(col_max) * half
        bottom = mid - _display_level(col_min) * half
        # At least a one-pixel line, so silence shows as a flat line rather than nothing.
        bottom = np.maximum(bottom, top + 1)
        # Each column is a step one pixel wide: along the tops left to right, back along
        # the bottoms right to left.
        xs = np.repeat(columns, 2)
        xs[1::2] += 1
        outline = [QPointF(x, y) for x, y in zip(xs.tolist(), np.repeat(top, 2).tolist(),
                                                 strict=True)]
        outline += [QPointF(x, y) for x, y in zip(xs[::-1].tolist(),
                                                  np.repeat(bottom, 2)[::-1].tolist(),
                                                  strict=True)]
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WAVE_COLOUR)
        p.drawPolygon(QPolygonF(outline))


def _display_level(values: np.ndarray) -> np.ndarray:
    """Sample values to -1..1 on a decibel scale (WAVE_FLOOR_DB to 0 dBFS), sign kept:
    a tone at -18 dBFS fills most of the height instead of an eighth of it."""
    magnitude = np.abs(values).astype(np.float64)
    db = 20 * np.log10(np.maximum(magnitude, 1e-9))
    return np.sign(values) * np.clip((db - WAVE_FLOOR_DB) / -WAVE_FLOOR_DB, 0.0, 1.0)


def _wave_band(height: float) -> float:
    """Height of the linked-sound band under a video clip's thumbnails."""
    return max(8.0, round(height * 0.3))


def row_is_audio(item: Item) -> bool:
    return item.track.startswith("A")


def _generated_label(item: Item) -> str:
    takes = len(getattr(item, "takes", ()))
    prompt = getattr(item, "prompt", "") or "(no prompt)"
    model = getattr(item, "model", "previz")
    return f"✦ {prompt[:60]}  [{model}, {takes} take{'s' if takes != 1 else ''}]"
