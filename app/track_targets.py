"""Track targeting and source patching in the timeline's track headers (as Premiere's and
Avid's): the box at a header's top right is lit where the source is patched (its picture on
a video track, its sound on an audio track; click to patch there, again to unpatch), and a
lit name plate marks a track that insert, lift and extract act on (click the name to toggle).

The state is ``services.source_monitor.TrackTargets``, kept by the window; this only paints
and reads clicks for the timeline view.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen

from app.theme import (
    SOURCE_PATCH,
    SWITCH_BORDER,
    SWITCH_OFF,
    TEXT_DIM,
    TEXT_HEADER,
    TEXT_ON_LIGHT,
    TRACK_HEADER,
    TRACK_TARGETED,
)
from services.source_monitor import TrackTargets
from timeline.model import Sequence

PATCH_PX = 12.0


class HeaderTargets:
    def __init__(self, targets: TrackTargets, sequence: Callable[[], Sequence], *,
                 header_width: float, changed: Callable[[str], None]) -> None:
        self.targets = targets
        self._sequence = sequence
        self.header_width = header_width
        self._changed = changed

    def patch_rect(self, row: QRectF) -> QRectF:
        return QRectF(self.header_width - PATCH_PX - 4, row.top() + 5, PATCH_PX, PATCH_PX)

    def plate_rect(self, row: QRectF) -> QRectF:
        return QRectF(2, row.top() + 3, self.header_width - PATCH_PX - 10, PATCH_PX + 4)

    def paint(self, p: QPainter, name: str, row: QRectF) -> None:
        seq = self._sequence()
        track = seq.tracks.get(name)
        if track is None:
            return
        plate = self.plate_rect(row)
        targeted = name in self.targets.targeted
        p.fillRect(plate, TRACK_TARGETED if targeted else TRACK_HEADER)
        p.setPen(TEXT_HEADER)
        p.drawText(plate.adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, name)
        patched = name in (self.targets.video, self.targets.audio)
        box = self.patch_rect(row)
        p.setPen(QPen(SWITCH_BORDER, 1))
        p.setBrush(SOURCE_PATCH if patched else SWITCH_OFF)
        p.drawRect(box)
        p.setPen(TEXT_ON_LIGHT if patched else TEXT_DIM)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "V" if track.kind == "video" else "A")
        p.setBrush(Qt.BrushStyle.NoBrush)

    def click(self, name: str, pos: QPointF, row: QRectF) -> bool:
        """Patch or target ``name`` if ``pos`` is on its box or plate; True if it was."""
        seq = self._sequence()
        if self.patch_rect(row).adjusted(-1, -1, 1, 1).contains(pos):
            self.targets.patch(seq, name)
            kind = "picture" if seq.track(name).kind == "video" else "sound"
            patched = name in (self.targets.video, self.targets.audio)
            self._changed(f"Source {kind} patched to {name}" if patched
                          else f"Source {kind} not patched")
            return True
        if self.plate_rect(row).contains(pos):
            on = self.targets.toggle_target(name)
            self._changed(f"{name} {'targeted' if on else 'not targeted'}")
            return True
        return False
