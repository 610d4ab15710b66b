"""The source monitor's state and the track targets, Qt-free: what is loaded, where its
playhead is, its In/Out, and the three-point edit an Insert / Overwrite / ... key makes of
them (``edit_params``).

A loaded asset is shown through a one-clip sequence of its own (picture on V1, or sound on
A1 for audio-only media) rendered by the same compositor, mixer and media sources as the
program, so the source is decoded by the timeline's media engine, off the UI thread (the
window's scrub thread and this monitor's own playback engine). Source time is counted in
frames at the project's rate from the media's first frame, as clips' ``source_in`` is.

Track targets (which tracks the source's picture and sound are patched to, and which tracks
insert / lift / extract act on) are editing state of this window, as in Avid: they are not
written into the project, so nothing about them is an undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timeline.changes import ItemOp, TrackOp, apply_op
from timeline.engine.compositor import render_frame
from timeline.engine.mixer import mix_audio
from timeline.engine.playback import PlaybackEngine
from timeline.model import Clip, MediaInfo, Sequence, SequenceSettings, TrackInfo

__all__ = ["SourceMonitor", "TrackTargets", "SOURCE_EDITS"]

# Three-point edits the window offers: operation -> menu text. Replace also sends where the
# source's playhead is (the frame to line up with the timeline's playhead).
SOURCE_EDITS = {
    "insert_edit": "Insert",
    "overwrite_edit": "Overwrite",
    "replace_edit": "Replace Edit",
    "place_on_top": "Place on Top",
    "append_edit": "Append to End",
}
STILL_SECONDS = 5  # a still's length in the source monitor (Premiere's default)
MAX_PICTURE = (960, 540)


@dataclass
class TrackTargets:
    """``video`` / ``audio``: the tracks the source's picture / sound are patched to (None:
    not patched); ``targeted``: the tracks edits act on besides the patched ones (insert
    ripples them, lift and extract remove from them). Defaults as Premiere's: V1 and A1."""

    video: str | None = "V1"
    audio: str | None = "A1"
    targeted: set[str] = field(default_factory=lambda: {"V1", "A1"})

    def follow(self, seq: Sequence) -> None:
        """Forget tracks the sequence no longer has (a project switch, an undone add)."""
        if self.video not in seq.tracks:
            self.video = None
        if self.audio not in seq.tracks:
            self.audio = None
        self.targeted &= set(seq.tracks)

    def toggle_target(self, name: str) -> bool:
        self.targeted ^= {name}
        return name in self.targeted

    def patch(self, seq: Sequence, name: str) -> None:
        """Patch the source to ``name`` (its picture to a video track, its sound to an audio
        track); patching the patched track again unpatches it."""
        kind = seq.track(name).kind
        if kind == "video":
            self.video = None if self.video == name else name
        else:
            self.audio = None if self.audio == name else name

    def tracks(self, seq: Sequence) -> list[str]:
        """The targeted tracks, video then audio, each by index."""
        order = sorted(seq.tracks.values(), key=lambda t: (t.kind != "video", t.info.index))
        return [t.name for t in order if t.name in self.targeted]


class SourceMonitor:
    """The clip in the source monitor. ``sources()`` gives the window's current (frames,
    sound) media sources; ``present(frame, picture)`` receives what its playback shows (on
    the playback thread)."""

    def __init__(self, sources: Callable[[], tuple[Any, Any]],
                 present: Callable[[int, Any], None], *, use_audio_device: bool = True) -> None:
        self._sources = sources
        self._present = present
        self.use_audio_device = use_audio_device
        self.info: MediaInfo | None = None
        self.sequence: Sequence | None = None
        self.length = 0
        self.position = 0
        self.in_point: int | None = None
        self.out_point: int | None = None
        self.playback: PlaybackEngine | None = None
        self.size = (16, 8)

    @property
    def asset(self) -> int | None:
        return None if self.info is None else self.info.id

    @property
    def audio_only(self) -> bool:
        return self.info is not None and not self.info.has_video

    def load(self, info: MediaInfo, settings: SequenceSettings, *,
             picture_size: tuple[int, int] | None = None, position: int = 0) -> None:
        """Show ``info``'s media from frame ``position``; its marks start clear."""
        self.close()
        self.info = info
        fps = settings.fps
        self.length = (info.duration_frames if info.duration_frames is not None
                       else int(STILL_SECONDS * fps))
        self.size = _fitted(picture_size) if info.has_video and picture_size else (
            (16, 8) if not info.has_video else MAX_PICTURE)
        seq = Sequence(SequenceSettings(name=info.name or f"asset {info.id}", fps=fps,
                                        width=self.size[0], height=self.size[1],
                                        sample_rate=settings.sample_rate))
        track = TrackInfo(name="V1" if info.has_video else "A1",
                          kind="video" if info.has_video else "audio", index=1)
        apply_op(seq, TrackOp(None, track))
        apply_op(seq, ItemOp(None, Clip(id=1, track=track.name, start=0,
                                        duration=max(1, self.length), asset=info.id)))
        if info.has_video and info.has_audio:  # its sound: a clip of its own, as placed
            apply_op(seq, TrackOp(None, TrackInfo(name="A1", kind="audio", index=1)))
            apply_op(seq, ItemOp(None, Clip(id=2, track="A1", start=0,
                                            duration=max(1, self.length), asset=info.id)))
        self.sequence = seq
        self.in_point = self.out_point = None
        self.position = self.clamp(position)

    def unload(self) -> None:
        self.close()
        self.info = self.sequence = None
        self.length = self.position = 0
        self.in_point = self.out_point = None

    def clamp(self, frame: int) -> int:
        """The playhead may stand one past the last frame (as the program's at its end), so
        an Out there keeps the last frame."""
        return max(0, min(frame, self.length))

    # --- marks
    def mark_in(self) -> None:
        self.in_point = self.position
        if self.out_point is not None and self.out_point <= self.in_point:
            self.out_point = None

    def mark_out(self) -> None:
        """The Out is at the playhead and exclusive, as the program's Out (Mark Out): the
        same marks on both sides give the same duration."""
        if self.position == 0:
            return
        self.out_point = self.position
        if self.in_point is not None and self.in_point >= self.out_point:
            self.in_point = None

    def clear_marks(self) -> None:
        self.in_point = self.out_point = None

    @property
    def marked_duration(self) -> int:
        return (self.out_point or self.length) - (self.in_point or 0)

    # --- pictures and playback
    def render(self, n: int) -> Any:
        frames, _sound = self._sources()
        if self.sequence is None or frames is None:
            raise RuntimeError("nothing loaded in the source monitor")
        last = max(0, self.length - 1)
        return render_frame(self.sequence, max(0, min(n, last)), frames, size=self.size,
                            alpha=False)

    def _engine(self) -> PlaybackEngine:
        if self.playback is None:
            assert self.sequence is not None and self.info is not None
            seq = self.sequence
            _frames, sound = self._sources()
            mix = None
            if self.info.has_audio and sound is not None:
                def mix(first: int, count: int) -> Any:
                    return mix_audio(seq, first, count, sound)
            self.playback = PlaybackEngine(
                fps=seq.fps, sample_rate=seq.sample_rate, render=self.render,
                present=self._on_present, frame_count=lambda: self.length, mix=mix,
                use_audio_device=self.use_audio_device)
        return self.playback

    def _on_present(self, n: int, picture: Any) -> None:
        self.position = n
        self._present(n, picture)

    @property
    def playing(self) -> bool:
        return self.playback is not None and self.playback.playing

    def toggle_play(self) -> None:
        if self.info is None:
            return
        engine = self._engine()
        if engine.playing:
            engine.pause()
        else:
            engine.seek(self.position, show=False)
            engine.play(1)

    def shuttle(self, key: str) -> int:
        """J / K / L as the program's."""
        if self.info is None:
            return 0
        engine = self._engine()
        if not engine.playing:
            engine.seek(self.position, show=False)
        return engine.shuttle(key)

    def pause(self) -> None:
        if self.playback is not None:
            self.playback.pause()

    def seek(self, frame: int) -> int:
        """Paused: move the playhead (the caller asks for the picture); playing: jump."""
        self.position = self.clamp(frame)
        if self.playing:
            assert self.playback is not None
            self.playback.seek(self.position)
        return self.position

    def close(self) -> None:
        """Stop playback (the media sources are about to change or the window closes)."""
        if self.playback is not None:
            self.playback.close()
            self.playback = None

    # --- the edit
    def edit_params(self, op: str, targets: TrackTargets, seq: Sequence, playhead: int
                    ) -> dict[str, Any]:
        """The operation an edit key makes of the source marks and the targets. A video
        file with sound lands as its picture on the patched video track and its sound,
        linked to it, on the patched audio track (either alone when only one is patched)."""
        if self.info is None:
            raise ValueError("Load a clip in the source monitor first (double-click it in "
                             "the bin)")
        info = self.info
        video = targets.video if info.has_video else None
        audio = targets.audio if info.has_audio else None
        params: dict[str, Any] = {"op": op, "asset": info.id, "video": video, "audio": audio,
                                  "source_in": self.in_point, "source_out": self.out_point}
        if info.duration_frames is None and self.out_point is None and not (
                op == "replace_edit" or (seq.in_point is not None and seq.out_point is not None
                                         and op != "append_edit")):
            params["source_out"] = (self.in_point or 0) + self.length  # a still: 5 s
        if op != "append_edit":
            params["at"] = playhead
        if op == "insert_edit":
            params["tracks"] = targets.tracks(seq)
        if op == "replace_edit":
            params["source_position"] = self.position
        return params


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled down to fit MAX_PICTURE, even sides (what the preview decodes)."""
    w, h = size
    scale = min(1.0, MAX_PICTURE[0] / w, MAX_PICTURE[1] / h)
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
