"""``render_frame``: one sequence frame as RGBA, the same code for viewer, scrubbing and export.

Tracks are stacked V1 at the bottom, higher tracks over it. Each clip's picture is fitted into
the frame without stretching (letterbox / pillarbox), then composited with its opacity.
A cross-dissolve mixes the outgoing clip (continuing into its handle) with the incoming one
(starting early from its handle). Pictures come from a ``FrameSource`` so the compositor never
knows about files, decoders or caches.

Exactness: a clip's source frame ``k`` (in sequence frames) is media time ``k / fps``; with an
identity fit (same size) and full opacity the output pixels are the decoded pixels, bit for
bit, which the tests check with frame-index stamped media.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import numpy as np

from timeline.conditioning.easing import ease
from timeline.model import (
    Clip,
    GeneratedSegment,
    Item,
    Sequence,
    Track,
    TransformKey,
    Transition,
    spans,
)

RGBA = np.ndarray  # (H, W, 4) uint8


class FrameSource(Protocol):
    """Supplies pictures for the compositor."""

    def display_size(self, asset: int) -> tuple[int, int] | None:
        """The asset's picture size as shown (rotation applied), or None if it has none."""

    def picture(self, asset: int, time: Fraction, size: tuple[int, int], *,
                proxy: bool = False) -> np.ndarray | None:
        """(h, w, 3|4) uint8 picture of ``asset`` at media ``time`` seconds, scaled to
        ``size`` = (w, h); None when there is no picture there (past the end, missing).
        ``proxy``: the clip prefers the asset's proxy (a source may ignore it)."""


@dataclass(frozen=True)
class Placement:
    """Where a fitted picture lands in the output: its size and top-left corner."""

    width: int
    height: int
    x: int
    y: int


def fit(src: tuple[int, int], dst: tuple[int, int]) -> Placement:
    """Largest size with the source's aspect ratio inside ``dst``, centred (no stretch).

    Sizes are rounded to even numbers when scaling so chroma-subsampled sources stay
    aligned; an exact match keeps the source size untouched.
    """
    sw, sh = src
    dw, dh = dst
    if (sw, sh) == (dw, dh):
        return Placement(dw, dh, 0, 0)
    scale = min(Fraction(dw, sw), Fraction(dh, sh))
    w = min(dw, max(2, round(sw * scale / 2) * 2))
    h = min(dh, max(2, round(sh * scale / 2) * 2))
    return Placement(w, h, (dw - w) // 2, (dh - h) // 2)


def render_frame(
    sequence: Sequence,
    n: int,
    source: FrameSource,
    *,
    size: tuple[int, int] | None = None,
    background: tuple[int, int, int] = (0, 0, 0),
    alpha: bool = True,
) -> RGBA:
    """Sequence frame ``n`` as (H, W, 4) uint8 RGBA at ``size`` (default: sequence size);
    with ``alpha=False`` as (H, W, 3) RGB, which is cheaper for consumers that need no alpha
    (encoders, the viewer).

    Alpha is 255 wherever any clip (or the opaque background) covers the frame; a preview at
    half size passes ``size=(w // 2, h // 2)`` and every source is decoded at that size. The
    returned array may be shared with the frame cache: treat it as read-only.
    """
    out_w, out_h = size or (sequence.settings.width, sequence.settings.height)
    video = sorted(sequence.video_tracks, key=lambda t: t.info.index)
    solo = [t for t in video if t.info.solo]
    layers = []
    for track in (solo or video):
        if track.info.hidden:
            continue
        layer = _track_layer(sequence, track, n, source, (out_w, out_h))
        if layer is not None:
            layers.append(layer)
    # Everything under the topmost opaque full-frame picture is hidden: start there.
    base = None
    for i, (picture, a) in enumerate(layers):
        if (isinstance(a, float) and a >= 1.0 and picture.dtype == np.uint8
                and picture.shape == (out_h, out_w, 3)):
            base = i
    upper = layers[(base + 1) if base is not None else 0:]
    if base is not None and not upper:
        # A plain cut: the decoded picture itself (no copy), or it with an opaque alpha.
        return _with_alpha(layers[base][0]) if alpha else layers[base][0]
    # Compositing runs on a contiguous RGB canvas (RGBA's strided channel views make every
    # numpy pass several times slower); alpha, always opaque, is added once at the end.
    out = np.empty((out_h, out_w, 3), dtype=np.uint8)
    if base is None:
        out[..., 0], out[..., 1], out[..., 2] = background
    elif _is_scalar_uint8(upper[0], (out_w, out_h)) and 0.0 < float(upper[0][1]) < 1.0:
        # The first blend reads the base picture directly: no copy of it into the canvas.
        picture, a = upper.pop(0)
        _mix_uint8(layers[base][0], picture, round(float(a) * 256), out)
    else:
        out[...] = layers[base][0]
    for picture, a in upper:
        _over(out, picture, a)
    return _with_alpha(out) if alpha else out


def _with_alpha(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB as (H, W, 4) RGBA with alpha 255, through libswscale (one SIMD pass,
    about 3x numpy's strided copy)."""
    h, w = rgb.shape[:2]
    if w % 2 or h % 2 or w < 16:
        # swscale is exact for any size, but tiny and odd pictures are cheap in numpy.
        out = np.empty((h, w, 4), np.uint8)
        out[..., :3] = rgb
        out[..., 3] = 255
        return out
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return frame.reformat(format="rgba").to_ndarray()


_SCRATCH = threading.local()


def _scratch(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Two uint16 work buffers of ``shape`` for this thread (playback, scrubbing and export
    render on their own threads), kept between frames: fresh 12 MB temporaries per blend
    cost more in page faults than the arithmetic."""
    found = getattr(_SCRATCH, "buffers", None)
    if found is None or found[0].shape != shape:
        found = (np.empty(shape, np.uint16), np.empty(shape, np.uint16))
        _SCRATCH.buffers = found
    return found


def _mix_uint8(a: np.ndarray, b: np.ndarray, ti: int, out: np.ndarray) -> None:
    """``out = (a * (256 - ti) + b * ti + 128) >> 8`` over RGB, in 8.8 fixed point (within
    one level of the float mix); ``out`` may be ``a``. In place on reused buffers."""
    a, b = a[..., :3], b[..., :3]
    wa, wb = _scratch(a.shape)
    np.multiply(a, np.uint16(256 - ti), out=wa)
    np.multiply(b, np.uint16(ti), out=wb)
    np.add(wa, wb, out=wa)
    np.add(wa, np.uint16(128), out=wa)
    np.right_shift(wa, 8, out=wa)
    np.copyto(out, wa, casting="unsafe")


def _track_layer(
    sequence: Sequence, track: Track, n: int, source: FrameSource, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | float] | None:
    """This track's picture at frame n (RGB float32 premultiplied-free) and its alpha."""
    dissolve = _dissolve_at(sequence, track, n)
    if dissolve is not None:
        tr, out_item, in_item = dissolve
        start = out_item.end - tr.in_offset
        # Linear mix, centred on frames: neither end of the dissolve is a pure cut.
        t = (n - start + 0.5) / tr.duration
        a = _item_layer(sequence, out_item, n, source, size)
        b = _item_layer(sequence, in_item, n, source, size)
        if a is None and b is None:
            return None
        if _is_full_uint8(a, size) and _is_full_uint8(b, size):
            # The common case (two full-frame pictures): an integer mix, no float canvases.
            assert a is not None and b is not None
            mixed = np.empty((size[1], size[0], 3), np.uint8)
            _mix_uint8(a[0], b[0], round(t * 256), mixed)
            return mixed, float(a[1]) * (1 - t) + float(b[1]) * t
        canvas_a = _flatten(a, size)
        canvas_b = _flatten(b, size)
        rgb = canvas_a[0] * (1 - t) + canvas_b[0] * t
        alpha = canvas_a[1] * (1 - t) + canvas_b[1] * t
        return rgb, alpha
    item = track.item_at(n)
    if item is None:
        return None
    return _item_layer(sequence, item, n, source, size)


def _dissolve_at(
    sequence: Sequence, track: Track, n: int
) -> tuple[Transition, Item, Item] | None:
    for span in spans(sequence, track, n, n + 1):
        tr = span.fade_out
        if tr is not None:
            in_item = sequence.find_item(tr.to_item)
            if in_item is not None:
                return tr, span.item, in_item
    return None


def _item_layer(
    sequence: Sequence, item: Item, n: int, source: FrameSource, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | float] | None:
    """The item's picture at sequence frame n (which may lie in a dissolve handle)."""
    opacity = float(getattr(item, "opacity", 1.0))
    if opacity <= 0.0:
        return None
    if isinstance(item, Clip):
        src_size = source.display_size(item.asset)
        if src_size is None:
            offline_name = getattr(source, "offline_name", None)
            missing = offline_name(item.asset) if offline_name is not None else None
            if missing is not None:  # as NLEs show it: not black, which looks like a shot
                return _offline_slate(size, item.name or missing, opacity)
            return None
        place = fit(src_size, size)
        time = Fraction(item.source_in + (n - item.start)) / sequence.fps
        proxy = item.use_proxy
        if item.transform:
            key = evaluate_transform(item.transform, n - item.start)
            if key.opacity * opacity <= 0.0:
                return None
            # Positions are in sequence pixels; a preview at another size scales them.
            unit = size[0] / sequence.settings.width
            w = min(8192, max(2, round(place.width * key.scale / 2) * 2))
            h = min(8192, max(2, round(place.height * key.scale / 2) * 2))
            pic = source.picture(item.asset, time, (w, h), proxy=proxy)
            if pic is None:
                return None
            centre = (size[0] / 2 + key.x * unit, size[1] / 2 + key.y * unit)
            return _warp(pic, centre, key.rotation, size, opacity * key.opacity)
        pic = source.picture(item.asset, time, (place.width, place.height), proxy=proxy)
        if pic is None:
            return None
        return _place(pic, place, size, opacity)
    if isinstance(item, GeneratedSegment):
        # Sources that know takes (MediaFrameSource) show the active one; others, and
        # segments with no take or a missing take file, show the pending card.
        take_picture = getattr(source, "take_picture", None)
        if item.active_take is not None and take_picture is not None:
            pic = take_picture(item.active_take, n - item.start, size)
            if pic is not None:
                return _place(pic, Placement(size[0], size[1], 0, 0), size, opacity)
        return _pending_generation_card(size, opacity)
    return None


def _place(
    pic: np.ndarray, place: Placement, size: tuple[int, int], opacity: float
) -> tuple[np.ndarray, np.ndarray | float]:
    w, h = size
    if pic.shape[1] != place.width or pic.shape[0] != place.height:
        raise ValueError(
            f"frame source returned {pic.shape[1]}x{pic.shape[0]}, asked for "
            f"{place.width}x{place.height}"
        )
    full = (place.width, place.height) == (w, h)
    if full and pic.shape[2] == 3:
        return pic, min(1.0, opacity)  # the exact path: no float round trip
    rgb = np.zeros((h, w, 3), dtype=np.float32)
    alpha = np.zeros((h, w), dtype=np.float32)
    ys = slice(place.y, place.y + place.height)
    xs = slice(place.x, place.x + place.width)
    rgb[ys, xs] = pic[..., :3]
    if pic.shape[2] == 4:
        alpha[ys, xs] = pic[..., 3].astype(np.float32) / 255.0 * opacity
    else:
        alpha[ys, xs] = opacity
    return rgb, alpha


def _flatten(
    layer: tuple[np.ndarray, np.ndarray | float] | None, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    w, h = size
    if layer is None:
        return np.zeros((h, w, 3), np.float32), np.zeros((h, w, 1), np.float32)
    rgb, alpha = layer
    a = np.broadcast_to(np.asarray(alpha, np.float32), (h, w)).reshape(h, w, 1)
    return rgb.astype(np.float32, copy=False), a


def _is_scalar_uint8(layer: tuple[np.ndarray, np.ndarray | float],
                     size: tuple[int, int]) -> bool:
    return _is_full_uint8(layer, size) and layer[0].shape[2] == 3


def _is_full_uint8(layer: tuple[np.ndarray, np.ndarray | float] | None,
                   size: tuple[int, int]) -> bool:
    return (layer is not None and isinstance(layer[1], float) and layer[0].dtype == np.uint8
            and layer[0].shape[1] == size[0] and layer[0].shape[0] == size[1])


def _over(out: np.ndarray, rgb: np.ndarray, alpha: np.ndarray | float) -> None:
    """Composite ``rgb`` with ``alpha`` over the opaque ``out`` in place."""
    if isinstance(alpha, float) and rgb.dtype == np.uint8:
        if alpha >= 1.0:
            out[..., :3] = rgb[..., :3]
            return
        ai = round(alpha * 256)
        if ai <= 0:
            return
        # 8.8 fixed point: within one level of the float blend, several times faster.
        _mix_uint8(out[..., :3], rgb, ai, out[..., :3])
        return
    a = np.asarray(alpha, np.float32)
    if a.ndim == 2:
        a = a[..., None]
    base = out[..., :3].astype(np.float32)
    mixed = base + (rgb.astype(np.float32) - base) * a
    out[..., :3] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


_CARD_CACHE: dict[tuple[int, int], np.ndarray] = {}


def _pending_generation_card(
    size: tuple[int, int], opacity: float
) -> tuple[np.ndarray, np.ndarray | float]:
    """What a generated segment without a take shows: a diagonal-striped purple card, so an
    editor sees at a glance that the shot still has to be generated."""
    card = _CARD_CACHE.get(size)
    if card is None:
        w, h = size
        ys, xs = np.mgrid[0:h, 0:w]
        stripes = ((xs + ys) // max(4, w // 48)) % 2
        card = np.empty((h, w, 3), np.uint8)
        card[...] = (70, 40, 90)
        card[stripes == 1] = (90, 55, 115)
        _CARD_CACHE.clear()  # one size at a time is plenty
        _CARD_CACHE[size] = card
    if opacity >= 1.0:
        return card, 1.0
    return card.astype(np.float32), opacity


_SLATE_CACHE: dict[tuple[tuple[int, int], str], np.ndarray] = {}
OFFLINE_RED = (178, 24, 24)


def _offline_slate(
    size: tuple[int, int], name: str, opacity: float
) -> tuple[np.ndarray, np.ndarray | float]:
    """What a clip whose media is not here shows: a red frame reading "Media Offline" and
    the clip's name, as other editors show it."""
    key = (size, name)
    slate = _SLATE_CACHE.get(key)
    if slate is None:
        from PIL import Image, ImageDraw, ImageFont

        w, h = size
        img = Image.new("RGB", (w, h), OFFLINE_RED)
        draw = ImageDraw.Draw(img)
        for text, px, y in (("Media Offline", min(h // 10, w // 12), 0.42),
                            (name[:80], min(h // 22, w // 30), 0.58)):
            font = ImageFont.load_default(size=max(8, px))
            box = draw.textbbox((0, 0), text, font=font)
            draw.text(((w - (box[2] - box[0])) / 2, h * y - (box[3] - box[1]) / 2), text,
                      fill=(255, 255, 255), font=font)
        slate = np.asarray(img, dtype=np.uint8).copy()
        if len(_SLATE_CACHE) > 16:  # a handful of offline clips at one size at a time
            _SLATE_CACHE.clear()
        _SLATE_CACHE[key] = slate
    if opacity >= 1.0:
        return slate, 1.0
    return slate.astype(np.float32), opacity


# --- keyframed transform ------------------------------------------------------------------


def evaluate_transform(keys: tuple[TransformKey, ...], k: int) -> TransformKey:
    """The transform ``k`` frames into the clip: held before the first and after the last
    keyframe, interpolated between them with the earlier keyframe's easing."""
    if k <= keys[0].frame:
        return keys[0]
    if k >= keys[-1].frame:
        return keys[-1]
    for a, b in zip(keys, keys[1:], strict=False):
        if a.frame <= k < b.frame:
            t = ease((k - a.frame) / (b.frame - a.frame), a.easing)
            return TransformKey(
                k,
                a.x + (b.x - a.x) * t,
                a.y + (b.y - a.y) * t,
                a.scale + (b.scale - a.scale) * t,
                a.rotation + (b.rotation - a.rotation) * t,
                a.opacity + (b.opacity - a.opacity) * t,
                a.easing,
            )
    return keys[-1]  # pragma: no cover - the loop always returns


def _warp(pic: np.ndarray, centre: tuple[float, float], rotation: float,
          size: tuple[int, int], opacity: float) -> tuple[np.ndarray, np.ndarray]:
    """Place ``pic`` with its centre at ``centre``, turned ``rotation`` degrees clockwise,
    on a transparent (H, W) canvas. Bilinear sampling by inverse mapping, only over the
    turned picture's bounding box; edges are anti-aliased through the alpha channel."""
    out_w, out_h = size
    rgb = np.zeros((out_h, out_w, 3), np.float32)
    alpha = np.zeros((out_h, out_w), np.float32)
    ph, pw = pic.shape[:2]
    # Source with a 1-pixel transparent border, so bilinear sampling fades the edges.
    src = np.zeros((ph + 2, pw + 2, 4), np.float32)
    src[1:-1, 1:-1, :3] = pic[..., :3]
    src[1:-1, 1:-1, 3] = pic[..., 3] / 255.0 if pic.shape[2] == 4 else 1.0
    theta = np.deg2rad(rotation)
    cos, sin = float(np.cos(theta)), float(np.sin(theta))
    half_w, half_h = pw / 2, ph / 2
    ext_x = abs(half_w * cos) + abs(half_h * sin) + 1
    ext_y = abs(half_w * sin) + abs(half_h * cos) + 1
    x0 = max(0, int(np.floor(centre[0] - ext_x)))
    x1 = min(out_w, int(np.ceil(centre[0] + ext_x)))
    y0 = max(0, int(np.floor(centre[1] - ext_y)))
    y1 = min(out_h, int(np.ceil(centre[1] + ext_y)))
    if x1 <= x0 or y1 <= y0:
        return rgb, alpha
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx = xs + 0.5 - centre[0]
    dy = ys + 0.5 - centre[1]
    # Inverse of a clockwise turn (y down) maps output offsets back into the picture.
    u = cos * dx + sin * dy + half_w - 0.5 + 1
    v = -sin * dx + cos * dy + half_h - 0.5 + 1
    inside = (u >= 0) & (v >= 0) & (u <= pw + 1) & (v <= ph + 1)
    u = np.clip(u, 0, pw + 1 - 1e-4)
    v = np.clip(v, 0, ph + 1 - 1e-4)
    ui = u.astype(np.int32)
    vi = v.astype(np.int32)
    fu = (u - ui)[..., None]
    fv = (v - vi)[..., None]
    ui1 = np.minimum(ui + 1, pw + 1)
    vi1 = np.minimum(vi + 1, ph + 1)
    top = src[vi, ui] * (1 - fu) + src[vi, ui1] * fu
    bottom = src[vi1, ui] * (1 - fu) + src[vi1, ui1] * fu
    sample = top * (1 - fv) + bottom * fv
    a = np.where(inside, sample[..., 3], 0.0) * opacity
    # Colours were averaged with transparent black at the edges: un-premultiply.
    covered = np.maximum(sample[..., 3:4], 1e-6)
    rgb[y0:y1, x0:x1] = np.where(sample[..., 3:4] > 0, sample[..., :3] / covered, 0.0)
    alpha[y0:y1, x0:x1] = a
    return rgb, alpha


def plain_cut(sequence: Sequence, n: int, size: tuple[int, int]) -> tuple[int, Fraction] | None:
    """(asset, media time) when frame ``n`` is exactly one clip's picture, untouched: the
    topmost visible item is a full-opacity clip with no transform, outside any dissolve, and
    its picture fills the frame with no scaling. Export can then hand the decoded frame to the
    encoder without converting it to RGB and back."""
    video = sorted(sequence.video_tracks, key=lambda t: t.info.index, reverse=True)
    solo = [t for t in video if t.info.solo]
    for track in (solo or video):
        if track.info.hidden:
            continue
        if _dissolve_at(sequence, track, n) is not None:
            return None
        item = track.item_at(n)
        if item is None:
            continue
        if (not isinstance(item, Clip) or item.opacity < 1.0 or item.transform
                or (sequence.settings.width, sequence.settings.height) != size):
            return None
        return item.asset, Fraction(item.source_in + (n - item.start)) / sequence.fps
    return None
