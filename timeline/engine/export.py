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
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from timeline.engine.compositor import (
    FrameSource,
    MovedCut,
    moved_cut,
    plain_cut,
    render_frame,
    warp_yuv420,
)
from timeline.engine.mixer import AudioSource, mix_audio
from timeline.limits import LimitError, check_render_size
from timeline.media.encoder_options import reproducible_options
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


# Constant-quality scales of the encoders that have one (the NVIDIA ones call it cq).
_CRF_RANGE: dict[str, tuple[int, int]] = {
    "libx264": (0, 51), "libx265": (0, 51), "h264_nvenc": (0, 51), "hevc_nvenc": (0, 51),
    "libvpx-vp9": (0, 63), "libaom-av1": (0, 63), "libsvtav1": (0, 63),
}


def preset_with(preset: Preset, *, codec: str | None = None, crf: int | None = None,
                bitrate: int | None = None, pix_fmt: str | None = None) -> Preset:
    """Custom settings on top of a preset."""
    options = dict(preset.video_options)
    video_codec = codec or preset.video_codec
    if crf is not None:
        if video_codec is None:
            raise ExportError(f"{preset.name} writes no video; --crf does not apply.")
        low, high = _CRF_RANGE.get(video_codec, (None, None))
        if low is None or high is None:
            raise ExportError(f"the {video_codec} encoder has no constant-quality (crf) "
                              f"setting; crf applies to {', '.join(_CRF_RANGE)}.")
        if isinstance(crf, bool) or not isinstance(crf, int) or not low <= crf <= high:
            raise ExportError(f"crf for {video_codec} is a whole number from {low} to {high} "
                              f"(lower is better), not {crf}.")
        options.pop("cq", None)
        options.pop("crf", None)
        options["cq" if video_codec.endswith("_nvenc") else "crf"] = str(crf)
    if bitrate is not None:
        if isinstance(bitrate, bool) or not isinstance(bitrate, int) or not (
                1000 <= bitrate <= 10**10):
            raise ExportError(f"bit rate is in bit/s, from 1000 to 10^10, not {bitrate}.")
        options.pop("crf", None)
        options["b"] = str(bitrate)
    return replace(preset, video_codec=video_codec,
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


class ExportTargetExists(ExportError):
    """The export would replace something that is already there; the caller asks the user
    (the window) or needs ``overwrite`` (``--overwrite`` on the command line)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


# What a png-sequence export writes into its folder; only a folder holding nothing else
# counts as an earlier export that --overwrite may replace.
_SEQUENCE_FILE = re.compile(r"frame_\d+\.png|audio\.wav")


def export_target(out: str | os.PathLike[str], preset: Preset, *,
                  overwrite: bool = False) -> Path:
    """The path an export to ``out`` writes (the preset's extension added), refused when
    writing there would delete or replace what the user did not ask to replace.

    A PNG sequence goes into a folder of its own: an existing empty folder is used; a
    folder holding anything is refused (and replaced with ``overwrite`` only when it holds
    nothing but an earlier sequence's frames and WAV). Refusing, rather than writing into a
    new subfolder, keeps the frames where the user said and never guesses a name. A file is
    replaced only with ``overwrite``; a folder in the way of a file is never removed."""
    path = Path(out)
    if preset.extension and path.suffix.lower() != preset.extension:
        path = path.with_suffix(path.suffix + preset.extension) if path.suffix else (
            path.with_suffix(preset.extension))
    if not path.parent.is_dir():
        raise ExportError(f"Cannot write {path}: folder {path.parent} does not exist.")
    sidecar = path.with_name(path.name + ".takeline.json")
    if (sidecar.exists() or sidecar.is_symlink()) and (not sidecar.is_file()
                                                        or sidecar.is_symlink()):
        raise ExportError(f"{sidecar} (where the export's manifest goes) exists and is not a "
                          "plain file; choose another name.")
    if not path.exists() and not path.is_symlink():
        return path
    if preset.image_sequence:
        if not path.is_dir() or path.is_symlink():
            raise ExportError(f"{path} exists and is not a folder; a PNG sequence is written "
                              "into a folder of its own. Choose another name.")
        entries = list(path.iterdir())
        if not entries:
            return path
        ours = all(e.is_file() and not e.is_symlink() and _SEQUENCE_FILE.fullmatch(e.name)
                   for e in entries)
        if not ours:
            raise ExportError(f"{path} already holds other files; a PNG sequence is written "
                              "into an empty or new folder. Choose another one.")
        if not overwrite:
            raise ExportTargetExists(path, f"{path} already holds a PNG sequence")
        return path
    if path.is_dir():
        raise ExportError(f"{path} exists and is a folder; choose another name.")
    if not path.is_file():
        raise ExportError(f"{path} exists and is not a regular file; choose another name.")
    if not overwrite:
        raise ExportTargetExists(path, f"{path} already exists")
    return path


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
    overwrite: bool = False,
) -> ExportResult:
    """Render frames [first, end) (default: in/out points, else the whole sequence).

    The range must lie within the sequence and the size within ``timeline.limits``; an
    existing target is replaced only with ``overwrite`` (see ``export_target``)."""
    first, end = export_range(sequence, first, end)
    out = export_target(out, preset, overwrite=overwrite)
    width, height = size or (sequence.settings.width, sequence.settings.height)
    try:
        check_render_size(width, height, what="export size")
    except LimitError as exc:
        raise ExportError(str(exc)) from None
    if preset.video_codec and preset.pix_fmt and "420" in preset.pix_fmt and (width % 2 or
                                                                              height % 2):
        raise ExportError(f"{preset.name} needs an even frame size, not {width}x{height}.")
    manifest = manifest_for(sequence, preset, first, end, project)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    _remove(tmp)  # left by a killed export of this same process id
    t0 = time.perf_counter()
    try:
        if preset.image_sequence:
            count, samples = _export_images(sequence, tmp, preset, frames, audio, first, end,
                                            (width, height), progress, cancelled, t0)
        else:
            count, samples = _export_file(sequence, tmp, preset, frames, audio, first, end,
                                          (width, height), progress, cancelled, manifest, t0)
        # Checked again: something may have appeared under the name while we rendered.
        export_target(out, preset, overwrite=overwrite)
        _replace(tmp, out)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, ExportError | KeyboardInterrupt):
            raise
        if isinstance(exc, MemoryError):
            raise ExportError(f"Ran out of memory exporting at {width}x{height}; use a "
                              "smaller size.") from None
        if isinstance(exc, av.FFmpegError | OSError | ValueError):
            raise ExportError(f"The {preset.name} encoder failed: {exc}") from None
        raise
    sidecar = out.with_name(out.name + ".takeline.json")
    sidecar_tmp = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.partial")
    sidecar_tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(sidecar_tmp, sidecar)
    return ExportResult(out, count, samples, time.perf_counter() - t0, manifest, sidecar)


def export_range(sequence: Sequence, first: int | None = None,
                 end: int | None = None) -> tuple[int, int]:
    """Frames [first, end) to export: by default the in/out points, else the whole
    sequence; refused unless non-empty and within the sequence (a range past the end would
    render background for as long as it asks, up to forever)."""
    duration = sequence.duration_frames
    first = (sequence.in_point or 0) if first is None else first
    if end is None:
        end = sequence.out_point if sequence.out_point is not None else duration
        end = min(end, duration) if first < duration else end
    if end <= first or first < 0:
        raise ExportError(f"Nothing to export: the range {first}..{end} is empty. "
                          "Set in/out points or put clips on the timeline.")
    if first >= duration:
        raise ExportError(f"The range {first}..{end} starts at or after the end of the "
                          f"sequence at frame {duration}.")
    if end > duration:
        raise ExportError(f"The range {first}..{end} reaches past the end of the sequence "
                          f"at frame {duration}; export at most {first}..{duration}.")
    return first, end


def _replace(tmp: Path, out: Path) -> None:
    """Put the finished export under its name: the old file stays until the new one is
    complete (os.replace is atomic). A folder cannot be replaced atomically: the old one is
    moved aside first and deleted only once the new one is in place."""
    if tmp.is_dir() and out.is_dir() and any(out.iterdir()):
        aside = out.with_name(f".{out.name}.{os.getpid()}.old")
        _remove(aside)
        os.replace(out, aside)
        try:
            os.replace(tmp, out)
        except BaseException:
            os.replace(aside, out)
            raise
        _remove(aside)
        return
    os.replace(tmp, out)


def _remove(path: Path) -> None:
    """Remove our own temporary file or folder; a failure here must not hide the error
    that made us clean up (a read-only or full disk)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


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


def _moved_frame(frame: av.VideoFrame, cut: MovedCut) -> av.VideoFrame:
    """A decoded yuv420p frame with its picture moved as ``cut`` says, over black. The
    scale is libswscale's (bilinear, filtered when shrinking, as the decoder's scaler gave
    the RGB path before), the move and turn ``warp_yuv420``'s."""
    if (frame.width, frame.height) != cut.scaled:
        frame = frame.reformat(width=cut.scaled[0], height=cut.scaled[1], format="yuv420p",
                               interpolation="BILINEAR")
    planes = tuple(_plane_view(frame, i) for i in range(3))
    out = av.VideoFrame(cut.size[0], cut.size[1], "yuv420p")
    # Warped straight into the encoder's frame: no planes in between to copy.
    warp_yuv420(planes, cut, size=cut.size,  # type: ignore[arg-type]
                out=(_plane_view(out, 0), _plane_view(out, 1), _plane_view(out, 2)))
    return out


def _plane_view(frame: av.VideoFrame, i: int) -> np.ndarray:
    """Plane ``i`` of a frame as an (h, w) uint8 array sharing its memory (rows padded to
    the plane's line size are cut off)."""
    plane = frame.planes[i]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, :plane.width]


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
            # Reproducible: the same sequence exports to the same bytes (x264's AVX-512
            # code would make them depend on the heap; see encoder_options).
            vstream = container.add_stream(preset.video_codec, rate=fps,
                                           options=reproducible_options(
                                               preset.video_codec, preset.video_options))
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
                    # The encoder picks its own frame types, as the ffmpeg command line
                    # lets it: a decoded frame keeps its source's I/P/B, which libx264
                    # would follow (the source's GOP forced on the export, and a plain
                    # cut encoded unlike everything else).
                    frame.pict_type = av.video.frame.PictureType.NONE
                    return frame
            # One moved clip over black: its decoded planes are moved in YCbCr, the same
            # steps as the RGB compositor but without the conversions there and back.
            moved = (moved_cut(sequence, n, size)
                     if raw is not None and preset.pix_fmt == "yuv420p" else None)
            if moved is not None:
                frame = raw(moved.asset, moved.time, size, "yuv420p")
                if frame is not None:
                    return _moved_frame(frame, moved)
            picture = render_frame(sequence, n, frames, size=size, alpha=_needs_alpha(preset))
            return _to_video_frame(picture, preset)

        def sound_until(due: int) -> list[Any]:
            """Mix and encode the sound up to sample ``due`` (from ``audio_start``) in
            encoder-sized blocks; the packets, for the caller to mux."""
            nonlocal samples_written
            assert astream is not None
            packets: list[Any] = []
            while audio_start + samples_written < due:
                count = min(chunk, due - audio_start - samples_written)
                block = mix_audio(sequence, audio_start + samples_written, count, audio)
                packets += _encode_audio(astream, block, samples_written)
                samples_written += len(block)
            return packets

        def sound_of(n: int) -> list[Any]:
            return sound_until(first_sample_of_frame(n + 1, rate, fps))  # to frame n's end

        pictures = _RenderAhead(make if vstream is not None else None, first, end)
        # Beside pictures, the sound is mixed and AAC-encoded on a thread of its own too
        # (as the ffmpeg command line does); its packets are muxed here, after each frame's
        # as before, so the file's bytes do not depend on which thread ran first.
        sound = _RenderAhead(sound_of if vstream is not None and astream is not None
                             else None, first, end, depth=48)
        try:
            if vstream is None and astream is not None:  # sound alone
                _tick(progress, cancelled, 0, total, t0)
                for packet in sound_until(audio_end):
                    container.mux(packet)
            for n in range(first, end) if vstream is not None else ():
                _tick(progress, cancelled, n - first, total, t0)
                vframe = pictures.get(n)
                vframe.pts = n - first
                vframe.time_base = 1 / fps
                for packet in vstream.encode(vframe):
                    container.mux(packet)
                if astream is not None:
                    for packet in sound.get(n):
                        container.mux(packet)
        finally:
            pictures.close()
            sound.close()
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


def _encode_audio(stream: Any, block: np.ndarray, pts: int) -> list[Any]:
    """The packets the encoder gives for one block of sound (it holds some back)."""
    clipped = np.clip(block, -1.0, 1.0).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(clipped.T), format="fltp",
                                       layout="stereo")
    frame.sample_rate = stream.rate
    frame.pts = pts
    frame.time_base = Fraction(1, stream.rate)
    return list(stream.encode(frame))


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
    "PRESETS", "ExportCancelled", "ExportError", "ExportProgress", "ExportResult",
    "ExportTargetExists", "Preset", "available_presets", "export_range", "export_sequence",
    "export_target", "manifest_for", "preset_with",
]
