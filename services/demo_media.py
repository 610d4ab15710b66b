"""Real media files synthesised with PyAV + numpy, for the demo project and test fixtures.

Every picture and sound here is a pure function of its arguments, so a test can predict
exactly which frame or sample holds what. Video frames carry their own index twice: as big
7-segment digits a person can read, and as a 16-bit strip of black/white blocks along the
bottom that :func:`read_frame_index` decodes, which lets tests check frame-accurate seeking
through a lossy codec.

Time follows ARCHITECTURE.md: rates are exact ``Fraction``s, the frame count of a clip of
``seconds`` is ``ceil(seconds * fps)`` (every frame that *starts* before the end), and the
first audio sample of frame ``n`` is ``floor(n * sample_rate / fps)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import numbers
import os
import uuid
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from timeline.media.encoder_options import reproducible_options

__all__ = [
    "FRAME_INDEX_BITS",
    "click_positions",
    "frame_count",
    "frame_index_strip_geometry",
    "read_frame_index",
    "sync_test_events",
    "write_color_bars_video",
    "write_reference_still",
    "write_sync_test_video",
    "write_tone_and_clicks_wav",
]

FRAME_INDEX_BITS = 16
_MIN_BLOCK = 16  # one H.264 macroblock: smaller blocks bleed into each other under compression
_AUDIO_CHUNK = 1024  # the AAC frame size; PCM accepts any size, so one size suits both
_TONE_1K_AMPLITUDE = 10 ** (-18 / 20)  # -18 dBFS, the usual alignment level
_CLICK_SECONDS = Fraction(1, 1000)
_S16_MAX = 32767

# A signal maps absolute sample indices to mono values in [-1, 1].
Signal = Callable[[np.ndarray], np.ndarray]

_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}

# SMPTE ECR 1-1978 style 75% bars: grey, yellow, cyan, green, magenta, red, blue.
_BARS_75 = np.array(
    [
        [191, 191, 191],
        [191, 191, 0],
        [0, 191, 191],
        [0, 191, 0],
        [191, 0, 191],
        [191, 0, 0],
        [0, 0, 191],
    ],
    dtype=np.uint8,
)
# The "castellation" row under the bars: blue, black, magenta, black, cyan, black, grey.
_CASTELLATIONS = np.array(
    [
        [0, 0, 191],
        [19, 19, 19],
        [191, 0, 191],
        [19, 19, 19],
        [0, 191, 191],
        [19, 19, 19],
        [191, 191, 191],
    ],
    dtype=np.uint8,
)

# Segments a..g of a 7-segment digit, lit per decimal digit.
_SEGMENTS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}


# --------------------------------------------------------------------------------------
# Time helpers


def frame_count(seconds: Fraction | int, fps: Fraction) -> int:
    """Frames in a clip of ``seconds``: every frame that starts before the end."""
    return math.ceil(Fraction(seconds) * Fraction(fps))


def _first_sample_of_frame(frame: int, fps: Fraction, sample_rate: int) -> int:
    return math.floor(frame * Fraction(sample_rate) / Fraction(fps))


def sync_test_events(
    seconds: int, fps: Fraction = Fraction(24000, 1001), sample_rate: int = 48000
) -> list[tuple[int, int]]:
    """(flash_frame, click_sample) pairs of :func:`write_sync_test_video`.

    Second ``k`` flashes on frame ``ceil(k * fps)``, the first frame at or after ``k`` s, and
    clicks on that frame's first sample.
    """
    fps = Fraction(fps)
    events = []
    for k in range(int(seconds)):
        flash_frame = math.ceil(k * fps)
        events.append((flash_frame, _first_sample_of_frame(flash_frame, fps, sample_rate)))
    return events


def click_positions(
    seconds: Fraction | int,
    sample_rate: int = 48000,
    click_every: Fraction = Fraction(1),
    fps: Fraction | None = None,
) -> list[int]:
    """First samples of the clicks of :func:`write_tone_and_clicks_wav`.

    Without ``fps`` click ``k`` sits at ``floor(k * click_every * sample_rate)``. With ``fps``
    it moves to the first sample of frame ``ceil(k * click_every * fps)``, so every click
    lines up with the start of a video frame at that rate.
    """
    click_every = Fraction(click_every)
    if click_every <= 0:
        raise ValueError(f"click_every must be positive, got {click_every}")
    total = math.floor(Fraction(seconds) * sample_rate)
    positions = []
    k = 0
    while True:
        at = k * click_every
        if fps is None:
            position = math.floor(at * sample_rate)
        else:
            position = _first_sample_of_frame(math.ceil(at * Fraction(fps)), fps, sample_rate)
        if position >= total:
            return positions
        positions.append(position)
        k += 1


# --------------------------------------------------------------------------------------
# Frame index strip


def frame_index_strip_geometry(width: int, height: int) -> tuple[int, int, int]:
    """(x0, y0, block) of the bottom strip of :data:`FRAME_INDEX_BITS` square blocks.

    Derived from the picture size alone, so a reader needs nothing but the pixels; it scales
    with the picture, so a proportionally resized frame still decodes.
    """
    block = max(_MIN_BLOCK, (width // 18) // _MIN_BLOCK * _MIN_BLOCK)
    if block * FRAME_INDEX_BITS > width or block > height:
        raise ValueError(
            f"a {width}x{height} picture is too small for the frame-index strip "
            f"(needs at least {FRAME_INDEX_BITS * _MIN_BLOCK}x{_MIN_BLOCK})"
        )
    x0 = (width - FRAME_INDEX_BITS * block) // 2
    return x0, height - block, block


def _draw_frame_index(rgb: np.ndarray, index: int) -> None:
    if not 0 <= index < 2**FRAME_INDEX_BITS:
        raise ValueError(f"frame index {index} does not fit in {FRAME_INDEX_BITS} bits")
    height, width = rgb.shape[:2]
    x0, y0, block = frame_index_strip_geometry(width, height)
    rgb[y0:, :] = 0
    for bit in range(FRAME_INDEX_BITS):
        # Most significant bit on the left, as the number is read.
        if index >> (FRAME_INDEX_BITS - 1 - bit) & 1:
            x = x0 + bit * block
            rgb[y0 : y0 + block, x : x + block] = 255


def read_frame_index(rgb: np.ndarray) -> int:
    """Decode the frame number from the bottom strip of a (H, W, 3 or 4) uint8 RGB picture."""
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3|4) RGB array, got shape {rgb.shape}")
    height, width = rgb.shape[:2]
    x0, y0, block = frame_index_strip_geometry(width, height)
    # Sample only the middle half of each block: edges are where compression smears.
    lo, hi = block // 4, block - block // 4
    rows = rgb[y0 + lo : y0 + hi, :, :3].astype(np.float32)
    index = 0
    for bit in range(FRAME_INDEX_BITS):
        x = x0 + bit * block
        luma = rows[:, x + lo : x + hi].mean()
        index = (index << 1) | int(luma >= 128)
    return index


# --------------------------------------------------------------------------------------
# Drawing


def _draw_digit(rgb: np.ndarray, digit: str, x: int, y: int, w: int, h: int, t: int) -> None:
    half = h // 2
    boxes = {
        "a": (x, y, w, t),
        "b": (x + w - t, y, t, half),
        "c": (x + w - t, y + half, t, h - half),
        "d": (x, y + h - t, w, t),
        "e": (x, y + half, t, h - half),
        "f": (x, y, t, half),
        "g": (x, y + half - t // 2, w, t),
    }
    for segment in _SEGMENTS[digit]:
        bx, by, bw, bh = boxes[segment]
        rgb[by : by + bh, bx : bx + bw] = 255


def _draw_number(rgb: np.ndarray, text: str, top: int, bottom: int) -> None:
    """Big 7-segment digits centred in rows [top, bottom)."""
    width = rgb.shape[1]
    h = max(5, int((bottom - top) * 0.8))
    w = max(3, h // 2)
    gap = max(2, w // 3)
    total_w = len(text) * w + (len(text) - 1) * gap
    if total_w > width:  # very narrow pictures: shrink rather than draw off the edge
        scale = width / total_w
        h, w, gap = max(5, int(h * scale)), max(3, int(w * scale)), max(1, int(gap * scale))
        total_w = len(text) * w + (len(text) - 1) * gap
    t = max(1, h // 9)
    x = (width - total_w) // 2
    y = top + (bottom - top - h) // 2
    for ch in text:
        _draw_digit(rgb, ch, x, y, w, h, t)
        x += w + gap


def _label_colour(label: str) -> np.ndarray:
    if not label:
        return np.array([255, 255, 255], dtype=np.uint8)
    # A stable, bright colour per label so clips in the demo project are told apart at a glance.
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    return np.array([128 + b % 128 for b in digest[:3]], dtype=np.uint8)


def _color_bars_background(width: int, height: int) -> tuple[np.ndarray, int, int]:
    """Static part of the bars picture, plus the rows [counter_top, counter_bottom)."""
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    bars_bottom = round(height * 0.58)
    castellations_bottom = round(height * 0.64)
    edges = [round(i * width / 7) for i in range(8)]
    for i in range(7):
        rgb[:bars_bottom, edges[i] : edges[i + 1]] = _BARS_75[i]
        rgb[bars_bottom:castellations_bottom, edges[i] : edges[i + 1]] = _CASTELLATIONS[i]
    rgb[castellations_bottom:] = 19  # near-black, like the PLUGE row
    _, strip_top, _ = frame_index_strip_geometry(width, height)
    return rgb, castellations_bottom, strip_top


def _check_video_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        # yuv420p subsamples chroma 2x2: odd sizes are refused by the encoder anyway.
        raise ValueError(f"video size must be positive and even, got {width}x{height}")
    return width, height


def _check_fps(fps: Fraction) -> Fraction:
    if not isinstance(fps, numbers.Rational):
        # A float rate (23.976) is never exact; make the caller say Fraction(24000, 1001).
        raise TypeError(f"fps must be a Fraction or int, got {type(fps).__name__}")
    fps = Fraction(fps)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return fps


def _check_seconds(seconds: Fraction | int) -> Fraction:
    if not isinstance(seconds, numbers.Rational):
        raise TypeError(f"seconds must be a Fraction or int, got {type(seconds).__name__}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    return Fraction(seconds)


# --------------------------------------------------------------------------------------
# Writing


@contextlib.contextmanager
def _atomic_target(path: str | os.PathLike[str]) -> Iterator[tuple[Path, Path]]:
    """Yield (final, temporary) paths; the temporary file replaces the final one on success.

    The temporary name sits in the same folder (so ``os.replace`` is atomic) and keeps the
    suffix; a reader never sees a half-written file under the real name.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")
    try:
        yield final, temporary
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


def _container_format(path: Path, allowed: dict[str, str]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ValueError(f"unsupported extension {suffix!r} for {path.name}; use {list(allowed)}")
    return allowed[suffix]


def _add_h264_stream(
    container: av.container.OutputContainer,
    codec: str,
    fps: Fraction,
    width: int,
    height: int,
) -> av.VideoStream:
    stream = container.add_stream(codec, rate=fps)
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    # Frame pts are frame indices: a 1/fps time base keeps the exact rate (the muxer may
    # pick a finer one, e.g. 1/24000 for 24000/1001, which stays an exact multiple).
    stream.time_base = 1 / fps
    stream.codec_context.time_base = 1 / fps
    # Roughly one keyframe a second gives seeking tests several frames to decode past.
    stream.codec_context.gop_size = max(1, math.ceil(fps))
    if codec == "libx264":
        # The same clip bytes in every process (see timeline.media.encoder_options).
        stream.options = reproducible_options(codec, {"crf": "18", "preset": "veryfast"})
    return stream


def _add_audio_stream(
    container: av.container.OutputContainer,
    codec: str,
    sample_rate: int,
    channels: int,
    sample_format: str,
) -> av.AudioStream:
    if channels not in _LAYOUTS:
        raise ValueError(f"channels must be 1..8, got {channels}")
    stream = container.add_stream(codec, rate=sample_rate)
    stream.layout = _LAYOUTS[channels]
    stream.format = sample_format
    stream.time_base = Fraction(1, sample_rate)
    stream.codec_context.time_base = Fraction(1, sample_rate)
    return stream


def _audio_frame(samples: np.ndarray, start: int, sample_rate: int, fmt: str) -> av.AudioFrame:
    """``samples`` is (channels, n) float in [-1, 1]; ``start`` is its first sample index."""
    channels = samples.shape[0]
    if fmt == "s16":
        ints = np.clip(np.round(samples * _S16_MAX), -_S16_MAX, _S16_MAX).astype(np.int16)
        array = ints.T.reshape(1, -1)  # packed: interleaved channels in one plane
    elif fmt == "fltp":
        array = np.ascontiguousarray(samples, dtype=np.float32)
    else:
        raise ValueError(f"unsupported sample format {fmt}")
    frame = av.AudioFrame.from_ndarray(array, format=fmt, layout=_LAYOUTS[channels])
    frame.sample_rate = sample_rate
    frame.pts = start
    frame.time_base = Fraction(1, sample_rate)
    return frame


class _AudioRenderer:
    """Renders samples [start, stop) of a signal from absolute sample indices, so the result
    does not depend on how it is chunked."""

    def __init__(self, total: int, sample_rate: int, channels: int, signal: Signal) -> None:
        self.total = total
        self.sample_rate = sample_rate
        self.channels = channels
        self.signal = signal
        self.next_sample = 0

    def __call__(self, start: int, stop: int) -> np.ndarray:
        mono = self.signal(np.arange(start, stop, dtype=np.int64))
        return np.broadcast_to(mono, (self.channels, stop - start))


def _encode_audio_until(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    render: _AudioRenderer,
    until_sample: int,
) -> None:
    """Encode chunks of audio until ``until_sample``, so audio and video interleave."""
    while render.next_sample < min(until_sample, render.total):
        start = render.next_sample
        stop = min(start + _AUDIO_CHUNK, render.total)
        frame = _audio_frame(render(start, stop), start, render.sample_rate, stream.format.name)
        container.mux(stream.encode(frame))
        render.next_sample = stop


def _tone(amplitude: float, hz: float, sample_rate: int) -> Signal:
    def signal(index: np.ndarray) -> np.ndarray:
        # Phase from the absolute index modulo one period keeps float error bounded.
        return amplitude * np.sin(2 * np.pi * hz * (index % sample_rate) / sample_rate)

    return signal


def _with_clicks(base: Signal, clicks: list[int], click_length: int) -> Signal:
    starts = np.asarray(clicks, dtype=np.int64)

    def signal(index: np.ndarray) -> np.ndarray:
        out = np.array(base(index), dtype=np.float64)
        if starts.size:
            # Index of the latest click at or before each sample; inside a click if within it.
            k = np.searchsorted(starts, index, side="right") - 1
            offset = index - starts[np.maximum(k, 0)]
            inside = (k >= 0) & (offset < click_length)
            # A full-scale burst of alternating sign: loud, zero-mean, and sample-exact.
            out[inside] = np.where(offset[inside] % 2 == 0, 1.0, -1.0)
        return out

    return signal


def _silence(index: np.ndarray) -> np.ndarray:
    return np.zeros(index.shape, dtype=np.float64)


def write_color_bars_video(
    path: str | os.PathLike[str],
    *,
    seconds: Fraction | int,
    fps: Fraction = Fraction(24000, 1001),
    size: tuple[int, int] = (1280, 720),
    codec: str = "libx264",
    with_audio: bool = True,
    sample_rate: int = 48000,
    label: str = "",
) -> Path:
    """SMPTE-style bars with a sweeping box, a readable frame counter and a frame-index strip.

    ``ceil(seconds * fps)`` frames with pts = frame index at the exact rate; with audio, a
    1 kHz tone at -18 dBFS (AAC stereo) of ``floor(frames * sample_rate / fps)`` samples, i.e.
    exactly as long as the video.
    """
    fps = _check_fps(fps)
    seconds = _check_seconds(seconds)
    width, height = _check_video_size(size)
    frames = frame_count(seconds, fps)
    if frames > 2**FRAME_INDEX_BITS:
        raise ValueError(f"{frames} frames do not fit in the {FRAME_INDEX_BITS}-bit index strip")
    background, counter_top, counter_bottom = _color_bars_background(width, height)
    digits = max(4, len(str(frames - 1)))
    box = max(8, height // 8) // 2 * 2
    box_y = max(0, round(height * 0.58) // 2 - box // 2)
    # Sweep across the picture in about two seconds, whatever the rate.
    step = max(1, (width - box) // max(1, math.ceil(2 * fps)))
    box_colour = _label_colour(label)

    with _atomic_target(path) as (final, temporary):
        fmt = _container_format(final, {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"})
        with av.open(str(temporary), "w", format=fmt) as container:
            if label:
                container.metadata["title"] = label
            video = _add_h264_stream(container, codec, fps, width, height)
            audio = None
            render = None
            if with_audio:
                audio = _add_audio_stream(container, "aac", sample_rate, 2, "fltp")
                total = _first_sample_of_frame(frames, fps, sample_rate)
                render = _AudioRenderer(
                    total, sample_rate, 2, _tone(_TONE_1K_AMPLITUDE, 1000.0, sample_rate)
                )
            for n in range(frames):
                if audio is not None and render is not None:
                    _encode_audio_until(
                        container, audio, render, _first_sample_of_frame(n + 1, fps, sample_rate)
                    )
                rgb = background.copy()
                x = (n * step) % max(1, width - box)
                rgb[box_y : box_y + box, x : x + box] = box_colour
                _draw_number(rgb, str(n).zfill(digits), counter_top, counter_bottom)
                _draw_frame_index(rgb, n)
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = n
                frame.time_base = video.codec_context.time_base
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
            if audio is not None and render is not None:
                _encode_audio_until(container, audio, render, render.total)
                container.mux(audio.encode(None))
    return final


def write_tone_and_clicks_wav(
    path: str | os.PathLike[str],
    *,
    seconds: Fraction | int,
    sample_rate: int = 48000,
    channels: int = 2,
    tone_hz: float = 440.0,
    click_every: Fraction = Fraction(1),
    fps: Fraction | None = None,
) -> Path:
    """PCM s16 WAV of ``floor(seconds * sample_rate)`` samples: a quiet tone (-30 dBFS) and a
    1 ms full-scale click at each of :func:`click_positions`."""
    seconds = _check_seconds(seconds)
    if fps is not None:
        fps = _check_fps(fps)
    total = math.floor(seconds * sample_rate)
    clicks = click_positions(seconds, sample_rate, click_every, fps)
    click_length = max(1, math.floor(_CLICK_SECONDS * sample_rate))
    signal = _with_clicks(_tone(10 ** (-30 / 20), tone_hz, sample_rate), clicks, click_length)

    with _atomic_target(path) as (final, temporary):
        with av.open(str(temporary), "w", format="wav") as container:
            stream = _add_audio_stream(container, "pcm_s16le", sample_rate, channels, "s16")
            render = _AudioRenderer(total, sample_rate, channels, signal)
            _encode_audio_until(container, stream, render, total)
            container.mux(stream.encode(None))
    return final


def write_reference_still(
    path: str | os.PathLike[str], *, size: tuple[int, int] = (1280, 720), seed: int = 0
) -> Path:
    """A PNG of a simple deterministic scene: gradient sky, sun, hills, ground, a house, trees.

    The seed moves the shapes, so different seeds give different but reproducible images.
    """
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    horizon = int(height * rng.uniform(0.55, 0.7))

    rgb = np.zeros((height, width, 3), dtype=np.float64)
    # Sky: deep blue at the top to pale at the horizon.
    t = (ys / max(1, horizon))[..., None]
    rgb[:] = (1 - t) * np.array([40, 90, 190]) + t * np.array([190, 215, 240])

    sun_x, sun_y = rng.uniform(0.15, 0.85) * width, rng.uniform(0.1, 0.3) * height
    sun_r = 0.07 * min(width, height)
    rgb[(xs - sun_x) ** 2 + (ys - sun_y) ** 2 <= sun_r**2] = [255, 220, 90]

    # Distant hills: a sum of sines above the horizon.
    phase = rng.uniform(0, 2 * np.pi, size=2)
    hill = horizon - height * (
        0.06 + 0.04 * np.sin(xs / width * 5 + phase[0]) + 0.02 * np.sin(xs / width * 13 + phase[1])
    )
    rgb[(ys >= hill) & (ys < horizon)] = [80, 130, 90]

    # Ground: darker green towards the viewer.
    ground = ys >= horizon
    g = ((ys - horizon) / max(1, height - horizon))[..., None]
    ground_colour = (1 - g) * np.array([100, 160, 80]) + g * np.array([50, 100, 40])
    rgb[ground] = ground_colour[ground]

    # House: a box with a triangular roof, standing on the horizon.
    house_w = int(0.18 * width)
    house_h = int(0.16 * height)
    house_x = int(rng.uniform(0.05, 0.75) * width)
    top = horizon - house_h
    rgb[top:horizon, house_x : house_x + house_w] = [200, 170, 140]
    door_w = max(1, house_w // 6)
    door_x = house_x + house_w // 2 - door_w // 2
    rgb[horizon - house_h // 2 : horizon, door_x : door_x + door_w] = [90, 60, 40]
    roof_h = house_h * 0.6
    centre = house_x + house_w / 2
    roof = (ys < top) & (ys >= top - roof_h) & (np.abs(xs - centre) <= (ys - top + roof_h) * 1.4)
    rgb[roof] = [160, 50, 40]

    # Trees: trunks with round crowns, placed by the seed.
    for _ in range(3):
        tx = rng.uniform(0.05, 0.95) * width
        base = horizon + rng.uniform(0.02, 0.2) * height
        crown_r = rng.uniform(0.03, 0.06) * min(width, height) * 1.5
        trunk_w = max(2, crown_r / 4)
        trunk = (np.abs(xs - tx) <= trunk_w / 2) & (ys <= base) & (ys >= base - 2.5 * crown_r)
        rgb[trunk] = [100, 70, 40]
        crown_y = base - 2.5 * crown_r
        rgb[(xs - tx) ** 2 + (ys - crown_y) ** 2 <= crown_r**2] = [40, 110, 50]

    image = np.clip(np.round(rgb), 0, 255).astype(np.uint8)
    with _atomic_target(path) as (final, temporary):
        if final.suffix.lower() != ".png":
            raise ValueError(f"reference stills are PNG files, got {final.name}")
        # Encode one frame with the PNG codec directly: the image2 muxer wants a numbered
        # filename pattern (or update=1) and adds nothing for a single picture.
        encoder = av.CodecContext.create("png", "w")
        encoder.width = width
        encoder.height = height
        encoder.pix_fmt = "rgb24"
        encoder.time_base = Fraction(1, 1)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = 0
        data = b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])
        temporary.write_bytes(data)
    return final


def write_sync_test_video(
    path: str | os.PathLike[str],
    *,
    seconds: int,
    fps: Fraction = Fraction(24000, 1001),
    size: tuple[int, int] = (640, 360),
    sample_rate: int = 48000,
) -> Path:
    """Black frames and silence, with a white flash and a 1 ms click together each second.

    Events are :func:`sync_test_events`. Written as H.264 + PCM s16le stereo in QuickTime
    (.mov), so the clicks stay sample-exact (AAC would smear them and add priming samples).
    """
    fps = _check_fps(fps)
    if not isinstance(seconds, int) or seconds <= 0:
        raise ValueError(f"seconds must be a positive int, got {seconds!r}")
    width, height = _check_video_size(size)
    frames = frame_count(seconds, fps)
    events = sync_test_events(seconds, fps, sample_rate)
    flash_frames = {flash for flash, _ in events}
    click_length = max(1, math.floor(_CLICK_SECONDS * sample_rate))
    signal = _with_clicks(_silence, [click for _, click in events], click_length)
    black = np.zeros((height, width, 3), dtype=np.uint8)
    white = np.full((height, width, 3), 255, dtype=np.uint8)

    with _atomic_target(path) as (final, temporary):
        _container_format(final, {".mov": "mov"})
        with av.open(str(temporary), "w", format="mov") as container:
            video = _add_h264_stream(container, "libx264", fps, width, height)
            audio = _add_audio_stream(container, "pcm_s16le", sample_rate, 2, "s16")
            total = _first_sample_of_frame(frames, fps, sample_rate)
            render = _AudioRenderer(total, sample_rate, 2, signal)
            for n in range(frames):
                _encode_audio_until(
                    container, audio, render, _first_sample_of_frame(n + 1, fps, sample_rate)
                )
                frame = av.VideoFrame.from_ndarray(
                    white if n in flash_frames else black, format="rgb24"
                )
                frame.pts = n
                frame.time_base = video.codec_context.time_base
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
            _encode_audio_until(container, audio, render, total)
            container.mux(audio.encode(None))
    return final
