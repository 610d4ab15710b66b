"""Export: the sequence rendered through the same compositor and mixer as playback, encoded
with PyAV into a file other tools read correctly.

Safety: everything is written under a temporary name beside the target and renamed only when
the encoder has finished, so a cancelled or crashed export never leaves a broken file under
the final name. Every export carries a manifest (project, sequence, range, preset, and the
recipes of generated segments) in the container's metadata and as a JSON sidecar.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from timeline.engine.compositor import FrameSource, plain_cut, render_frame
from timeline.engine.mixer import AudioSource, mix_audio
from timeline.model import GeneratedSegment, Sequence
from timeline.time import first_sample_of_frame

ProgressFn = Callable[["ExportProgress"], None]
CancelledFn = Callable[[], bool]


class ExportError(Exception):
    """An export that cannot start or failed; the message says why and what to do."""


class ExportCancelled(ExportError):  # noqa: N818 - a cancellation, reported as such
    pass


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    extension: str  # ".mp4", ".mov", ".wav", "" for an image sequence folder
    video_codec: str | None
    pix_fmt: str | None = None
    video_options: dict[str, str] = field(default_factory=dict)
    codec_tag: str | None = None
    audio_codec: str | None = None
    audio_bit_rate: int | None = None
    container_options: dict[str, str] = field(default_factory=dict)
    image_sequence: bool = False
    hardware: bool = False


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("h264", "H.264 High, CRF 18, BT.709, AAC 256k, fast start (MP4)", ".mp4",
           "libx264", "yuv420p", {"crf": "18", "preset": "medium"}, audio_codec="aac",
           audio_bit_rate=256_000, container_options={"movflags": "+faststart"}),
    Preset("h265", "H.265 (hvc1 for QuickTime), CRF 22, AAC 256k (MP4)", ".mp4", "libx265",
           "yuv420p", {"crf": "22", "preset": "medium", "x265-params": "log-level=error"},
           codec_tag="hvc1", audio_codec="aac", audio_bit_rate=256_000,
           container_options={"movflags": "+faststart"}),
    Preset("prores-422hq", "Apple ProRes 422 HQ, PCM audio (MOV)", ".mov", "prores_ks",
           "yuv422p10le", {"profile": "3", "vendor": "apl0"}, audio_codec="pcm_s24le"),
    Preset("prores-4444", "Apple ProRes 4444 with alpha, PCM audio (MOV)", ".mov", "prores_ks",
           "yuva444p10le", {"profile": "4", "vendor": "apl0", "alpha_bits": "16"},
           audio_codec="pcm_s24le"),
    Preset("dnxhr-hq", "Avid DNxHR HQ, PCM audio (MOV)", ".mov", "dnxhd", "yuv422p",
           {"profile": "dnxhr_hq"}, audio_codec="pcm_s24le"),
    Preset("png-sequence", "PNG image sequence (RGBA) with a WAV beside it", "", "png",
           "rgba", audio_codec="pcm_s24le", image_sequence=True),
    Preset("wav", "WAV audio only, 24-bit PCM", ".wav", None, audio_codec="pcm_s24le"),
    Preset("h264-nvenc", "H.264 on the NVIDIA encoder, AAC 256k (MP4)", ".mp4", "h264_nvenc",
           "yuv420p", {"preset": "p5", "cq": "19"}, audio_codec="aac", audio_bit_rate=256_000,
           container_options={"movflags": "+faststart"}, hardware=True),
    Preset("h265-nvenc", "H.265 on the NVIDIA encoder, hvc1, AAC 256k (MP4)", ".mp4",
           "hevc_nvenc", "yuv420p", {"preset": "p5", "cq": "21"}, codec_tag="hvc1",
           audio_codec="aac", audio_bit_rate=256_000,
           container_options={"movflags": "+faststart"}, hardware=True),
)}


def encoder_opens(codec: str, width: int = 256, height: int = 144) -> bool:
    """Whether an encoder really opens here (NVENC needs a GPU and driver, not just FFmpeg)."""
    try:
        ctx = av.CodecContext.create(codec, "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, 25)
        ctx.open()
        return True
    except Exception:
        return False


def available_presets() -> list[Preset]:
    """Presets whose encoders open on this machine (hardware ones only with the hardware)."""
    out = []
    for preset in PRESETS.values():
        if preset.video_codec is None or not preset.hardware or encoder_opens(
                preset.video_codec):
            out.append(preset)
    return out


def preset_with(preset: Preset, *, codec: str | None = None, crf: int | None = None,
                bitrate: int | None = None, pix_fmt: str | None = None) -> Preset:
    """Custom settings on top of a preset."""
    options = dict(preset.video_options)
    if crf is not None:
        options.pop("cq", None)
        options["crf"] = str(crf)
    if bitrate is not None:
        options.pop("crf", None)
        options["b"] = str(bitrate)
    return replace(preset, video_codec=codec or preset.video_codec,
                   pix_fmt=pix_fmt or preset.pix_fmt, video_options=options)


@dataclass
class ExportProgress:
    done: int
    total: int
    elapsed: float

    @property
    def eta(self) -> float | None:
        if self.done <= 0:
            return None
        return self.elapsed / self.done * (self.total - self.done)


@dataclass
class ExportResult:
    path: Path
    frames: int
    audio_samples: int
    seconds: float
    manifest: dict[str, Any]
    sidecar: Path


def manifest_for(sequence: Sequence, preset: Preset, first: int, end: int,
                 project: dict[str, Any] | None = None) -> dict[str, Any]:
    segments = []
    for item in sequence.all_items():
        if isinstance(item, GeneratedSegment) and item.end > first and item.start < end:
            segments.append({
                "item": item.id, "track": item.track, "start": item.start,
                "duration": item.duration, "prompt": item.prompt,
                "negative_prompt": item.negative_prompt, "seed": item.seed,
                "model": item.model, "takes": list(item.takes),
                "active_take": item.active_take,
            })
    return {
        "format": "takeline-export-manifest/1",
        "project": project or {},
        "sequence": sequence.settings.to_dict(),
        "range": {"in": first, "out": end},
        "preset": preset.name,
        "video_codec": preset.video_codec,
        "audio_codec": preset.audio_codec,
        "generated_segments": segments,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def export_sequence(
    sequence: Sequence,
    out: str | os.PathLike[str],
    preset: Preset,
    *,
    frames: FrameSource,
    audio: AudioSource | None,
    first: int | None = None,
    end: int | None = None,
    size: tuple[int, int] | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
    project: dict[str, Any] | None = None,
) -> ExportResult:
    """Render frames [first, end) (default: in/out points, else the whole sequence)."""
    out = Path(out)
    first = (sequence.in_point or 0) if first is None else first
    if end is None:
        end = sequence.out_point if sequence.out_point is not None else sequence.duration_frames
    if end <= first or first < 0:
        raise ExportError(f"Nothing to export: the range {first}..{end} is empty. "
                          "Set in/out points or put clips on the timeline.")
    if not out.parent.is_dir():
        raise ExportError(f"Cannot write {out}: folder {out.parent} does not exist.")
    if preset.extension and out.suffix.lower() != preset.extension:
        out = out.with_suffix(out.suffix + preset.extension) if out.suffix else (
            out.with_suffix(preset.extension))
    width, height = size or (sequence.settings.width, sequence.settings.height)
    if preset.video_codec and preset.pix_fmt and "420" in preset.pix_fmt and (width % 2 or
                                                                              height % 2):
        raise ExportError(f"{preset.name} needs an even frame size, not {width}x{height}.")
    manifest = manifest_for(sequence, preset, first, end, project)
    tmp = out.with_name(f".{out.name}.partial")
    t0 = time.perf_counter()
    try:
        if preset.image_sequence:
            count, samples = _export_images(sequence, tmp, preset, frames, audio, first, end,
                                            (width, height), progress, cancelled, t0)
        else:
            count, samples = _export_file(sequence, tmp, preset, frames, audio, first, end,
                                          (width, height), progress, cancelled, manifest, t0)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, ExportError | KeyboardInterrupt):
            raise
        if isinstance(exc, av.FFmpegError | OSError | ValueError):
            raise ExportError(f"The {preset.name} encoder failed: {exc}") from None
        raise
    if out.exists() and out.is_dir() != tmp.is_dir():
        _remove(tmp)
        raise ExportError(f"{out} exists and is a {'folder' if out.is_dir() else 'file'}; "
                          "choose another name.")
    if out.is_dir():
        shutil.rmtree(out)
    os.replace(tmp, out)
    sidecar = out.with_name(out.name + ".takeline.json")
    sidecar.write_text(json.dumps(manifest, indent=2))
    return ExportResult(out, count, samples, time.perf_counter() - t0, manifest, sidecar)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _tick(progress: ProgressFn | None, cancelled: CancelledFn | None, done: int, total: int,
          t0: float) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled("Export cancelled; nothing was written.")
    if progress is not None:
        progress(ExportProgress(done, total, time.perf_counter() - t0))


def _needs_alpha(preset: Preset) -> bool:
    fmt = preset.pix_fmt or ""
    return fmt.startswith(("yuva", "rgba", "bgra", "gbrap")) or fmt in ("argb", "abgr")


def _to_video_frame(picture: np.ndarray, preset: Preset) -> av.VideoFrame:
    layout = "rgba" if picture.shape[2] == 4 else "rgb24"
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format=layout)
    fmt = preset.pix_fmt or "yuv420p"
    if fmt.startswith("rgb"):
        return frame
    # RGB -> YCbCr with the BT.709 matrix the stream is tagged with (swscale would use 601).
    return frame.reformat(format=fmt, dst_colorspace="ITU709")


def _export_file(sequence: Sequence, tmp: Path, preset: Preset, frames: FrameSource,
                 audio: AudioSource | None, first: int, end: int, size: tuple[int, int],
                 progress: ProgressFn | None, cancelled: CancelledFn | None,
                 manifest: dict[str, Any], t0: float) -> tuple[int, int]:
    fps, rate = sequence.fps, sequence.sample_rate
    fmt = {".mp4": "mp4", ".mov": "mov", ".wav": "wav"}[preset.extension]
    container = av.open(str(tmp), "w", format=fmt, options=dict(preset.container_options))
    try:
        container.metadata["comment"] = json.dumps(manifest, separators=(",", ":"))
        container.metadata["encoder_settings"] = f"takeline preset {preset.name}"
        vstream = None
        if preset.video_codec:
            vstream = container.add_stream(preset.video_codec, rate=fps,
                                           options=dict(preset.video_options))
            vstream.width, vstream.height = size
            vstream.pix_fmt = preset.pix_fmt or "yuv420p"
            vstream.time_base = 1 / fps
            vstream.codec_context.time_base = 1 / fps
            if preset.codec_tag:
                vstream.codec_tag = preset.codec_tag
            # Frame threads, as the ffmpeg command line uses: PyAV defaults to slice
            # threads, which leave x264 at well under half its speed.
            vstream.codec_context.thread_type = "AUTO"
            vstream.codec_context.thread_count = 0
            if not (preset.pix_fmt or "").startswith("rgb"):
                cc = vstream.codec_context
                cc.color_primaries, cc.color_trc, cc.colorspace = 1, 1, 1  # BT.709
                cc.color_range = 1  # limited ("MPEG")
        astream = None
        if preset.audio_codec and audio is not None:
            astream = container.add_stream(preset.audio_codec, rate=rate, layout="stereo")
            if preset.audio_bit_rate:
                astream.bit_rate = preset.audio_bit_rate
        samples_written = 0
        audio_start = first_sample_of_frame(first, rate, fps)
        audio_end = first_sample_of_frame(end, rate, fps)
        total = end - first
        chunk = 1024
        def make(n: int) -> av.VideoFrame:
            # A plain cut whose decoded frame already has the output size and pixel format
            # goes to the encoder as is: no YUV -> RGB -> YUV round trip.
            raw = getattr(frames, "raw_picture", None)
            cut = plain_cut(sequence, n, size) if raw is not None and preset.pix_fmt else None
            if cut is not None:
                frame = raw(cut[0], cut[1], size, preset.pix_fmt)
                if frame is not None:
                    return frame
            picture = render_frame(sequence, n, frames, size=size, alpha=_needs_alpha(preset))
            return _to_video_frame(picture, preset)

        pictures = _RenderAhead(make if vstream is not None else None, first, end)
        try:
            for n in range(first, end):
                _tick(progress, cancelled, n - first, total, t0)
                if vstream is not None:
                    vframe = pictures.get(n)
                    vframe.pts = n - first
                    vframe.time_base = 1 / fps
                    for packet in vstream.encode(vframe):
                        container.mux(packet)
                if astream is not None:
                    # Audio up to the end of this frame, in encoder-sized blocks.
                    due = first_sample_of_frame(n + 1, rate, fps) if vstream else audio_end
                    while audio_start + samples_written < due:
                        count = min(chunk, due - audio_start - samples_written)
                        if vstream is None:
                            count = min(chunk, audio_end - audio_start - samples_written)
                        block = mix_audio(sequence, audio_start + samples_written, count, audio)
                        samples_written += _encode_audio(container, astream, block,
                                                         samples_written)
                if vstream is None and astream is not None:
                    break  # audio-only: the loop above wrote everything
        finally:
            pictures.close()
        if astream is not None:
            for packet in astream.encode(None):
                container.mux(packet)
        if vstream is not None:
            for packet in vstream.encode(None):
                container.mux(packet)
        _tick(progress, None, total, total, t0)
    finally:
        container.close()
    return (end - first if preset.video_codec else 0), samples_written


class _RenderAhead:
    """Renders (and converts) upcoming frames on a second thread while the caller encodes:
    decode, compositing and colour conversion overlap with the encoder (all release the
    GIL in their C parts), which is what brings export close to the ffmpeg command line."""

    def __init__(self, make: Callable[[int], Any] | None, first: int, end: int,
                 depth: int = 4) -> None:
        import queue
        import threading

        self._queue: queue.Queue[tuple[int, Any, BaseException | None]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if make is None:
            return

        def run() -> None:
            for n in range(first, end):
                if self._stop.is_set():
                    return
                try:
                    item: tuple[int, Any, BaseException | None] = (n, make(n), None)
                except BaseException as exc:  # handed to the encoding thread
                    item = (n, None, exc)
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if item[2] is not None:
                    return

        self._thread = threading.Thread(target=run, name="takeline-export-render",
                                        daemon=True)
        self._thread.start()

    def get(self, n: int) -> Any:
        got, value, error = self._queue.get()
        if error is not None:
            raise error
        assert got == n, (got, n)
        return value

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _encode_audio(container: Any, stream: Any, block: np.ndarray, pts: int) -> int:
    clipped = np.clip(block, -1.0, 1.0).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(clipped.T), format="fltp",
                                       layout="stereo")
    frame.sample_rate = stream.rate
    frame.pts = pts
    frame.time_base = Fraction(1, stream.rate)
    for packet in stream.encode(frame):
        container.mux(packet)
    return len(block)


def _export_images(sequence: Sequence, tmp: Path, preset: Preset, frames: FrameSource,
                   audio: AudioSource | None, first: int, end: int, size: tuple[int, int],
                   progress: ProgressFn | None, cancelled: CancelledFn | None,
                   t0: float) -> tuple[int, int]:
    from timeline.media.images import encode_png

    tmp.mkdir()
    total = end - first
    digits = max(6, len(str(end)))
    for n in range(first, end):
        _tick(progress, cancelled, n - first, total, t0)
        picture = render_frame(sequence, n, frames, size=size)
        (tmp / f"frame_{n:0{digits}d}.png").write_bytes(encode_png(picture))
    samples = 0
    if audio is not None:
        wav = replace(PRESETS["wav"], extension=".wav")
        _count, samples = _export_file(sequence, tmp / "audio.wav", wav, frames, audio, first,
                                       end, size, None, cancelled, {}, t0)
    _tick(progress, None, total, total, t0)
    return total, samples


__all__ = [
    "PRESETS", "ExportCancelled", "ExportError", "ExportProgress", "ExportResult", "Preset",
    "available_presets", "export_sequence", "manifest_for", "preset_with",
]
