"""The two read-only text panels of the main window: the facts of the bin's current asset
and the program's state (sequence, playhead, selected item, the main shortcuts)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.theme import error_html
from timeline.model import Item, Sequence, seed_text
from timeline.time import format_rate, timecode

SHORTCUTS = ("Space play · J/K/L shuttle · S split · Delete lift · Shift+Delete ripple delete "
             "· Q/W ripple trim · M marker · I/O in/out · Ctrl+Z / Ctrl+Shift+Z · "
             "Ctrl+wheel zoom")


class AssetFacts(QLabel):
    """What the file behind a bin item is: path, kind, codecs, size, rate, duration."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_asset(self, asset: Any | None) -> None:
        if asset is None:
            self.clear()
            return
        info = asset.to_info_json()
        rows = [f"<b>{asset.name}</b>", asset.path,
                f"kind: {info['kind']} ({info['container']})"]
        if info["fps"]:
            rows.append(f"video: {info['video_codec']} {info['width']}x{info['height']} "
                        f"@ {info['fps']}{' VFR' if info['vfr'] else ''}, "
                        f"rotation {info['rotation']}")
        if info["sample_rate"]:
            rows.append(f"audio: {info['audio_codec']} {info['sample_rate']} Hz, "
                        f"{info['channels']} ch")
        if info["duration"] is not None:
            rows.append(f"duration: {info['duration']:.3f} s")
        if asset.status != "ok":
            rows.append(error_html(f"{asset.status}: relink needed"))
        self.setText("<br>".join(rows))


class SequenceInfo(QLabel):
    """The sequence's format and length, the playhead, and the selected item."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWordWrap(True)
        self.setMargin(8)

    def show_state(self, seq: Sequence, playhead: int, selected: Item | None) -> None:
        lines = [
            f"<b>{seq.settings.name}</b> — {format_rate(seq.fps)} fps, "
            f"{seq.settings.width}x{seq.settings.height}, {seq.sample_rate} Hz",
            f"Duration {timecode(seq.duration_frames, seq.fps)} ({seq.duration_frames} frames)"
            f" · {seq.item_count()} items · {len(seq.markers)} markers",
            f"Playhead {timecode(playhead, seq.fps)} (frame {playhead})",
        ]
        if selected is not None:
            lines.append(f"Selected #{selected.id} ({selected.kind}) on {selected.track}: "
                         f"{selected.start}–{selected.end}, source in {selected.source_in}")
            if selected.kind == "generated":
                lines.append(f"Prompt: {getattr(selected, 'prompt', '')}")
                lines.append(f"Model: {getattr(selected, 'model', '')} · "
                             f"{seed_text(getattr(selected, 'seed', None))} · "
                             f"{len(getattr(selected, 'takes', ()))} takes")
        lines.append(f"<br><i>{SHORTCUTS}</i>")
        self.setText("<br>".join(lines))
