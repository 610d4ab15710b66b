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

import functools
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

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
from timeline.priority import opencv

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


@dataclass(frozen=True)
class Sprite:
    """A layer that covers only part of the frame: an (h, w, 4) uint8 RGBA picture with its
    colour premultiplied by its alpha, its top-left corner at (x, y) in the frame (wholly
    inside it). What a moved, scaled or turned clip becomes: compositing touches only its
    bounding box, and premultiplied colour needs no division at the anti-aliased edges."""

    rgba: np.ndarray
    x: int
    y: int


# A layer: (full-frame uint8 RGB, one opacity), (Sprite, one opacity), or (float32 RGB, not
# premultiplied, with a per-pixel float alpha).
Layer = tuple[np.ndarray | Sprite, np.ndarray | float]


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
        if (isinstance(a, float) and a >= 1.0 and isinstance(picture, np.ndarray)
                and picture.dtype == np.uint8 and picture.shape == (out_h, out_w, 3)):
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
    for i, (picture, a) in enumerate(upper):
        # The first layer over the background alone has a flat colour under it.
        _over(out, picture, a, flat=background if base is None and i == 0 else None)
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
) -> Layer | None:
    """This track's picture at frame n and its alpha: a full-frame uint8 RGB picture with
    one opacity, a ``Sprite`` with one opacity, or float32 RGB (not premultiplied) with a
    per-pixel alpha."""
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
        # Mixed premultiplied, so a partly covering picture (letterboxed, moved) fades
        # linearly where it does not cover, and its edge colours weigh by their alpha.
        pre_a, cover_a = _flatten(a, size)
        pre_b, cover_b = _flatten(b, size)
        pre = pre_a * (1 - t) + pre_b * t
        alpha = cover_a * (1 - t) + cover_b * t
        rgb = np.where(alpha > 0, pre / np.maximum(alpha, 1e-6), 0.0).astype(np.float32)
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
) -> Layer | None:
    """The item's picture at sequence frame n (which may lie in a dissolve handle)."""
    opacity = float(getattr(item, "opacity", 1.0))
    if opacity <= 0.0 or not item.enabled:  # a disabled clip shows nothing
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
            # Decoded at one size for the whole clip (a size per frame would make the
            # decoder start again from a keyframe every frame); the warp scales it.
            pic = source.picture(item.asset, time, decode_size(item.transform, place,
                                                               src_size), proxy=proxy)
            if pic is None:
                return None
            centre = (size[0] / 2 + key.x * unit, size[1] / 2 + key.y * unit)
            return _warp(pic, (w, h), centre, key.rotation, size, opacity * key.opacity)
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


def decode_size(keys: tuple[TransformKey, ...], place: Placement,
                src_size: tuple[int, int]) -> tuple[int, int]:
    """The one size a transformed clip's pictures are decoded at: its fitted size, or larger
    up to the source's own size when a keyframe zooms in (so a zoom into a 4K source still
    shows 4K detail)."""
    zoom = min(max(k.scale for k in keys), src_size[0] / place.width,
               src_size[1] / place.height)
    if zoom <= 1.0:
        return place.width, place.height
    return (min(8192, max(2, round(place.width * zoom / 2) * 2)),
            min(8192, max(2, round(place.height * zoom / 2) * 2)))


def _resized(pic: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``pic`` ((h, w) or (h, w, c)) scaled to ``size`` (bilinear, filtered when shrinking,
    in C)."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(pic))
    return np.asarray(im.resize(size, Image.Resampling.BILINEAR))


def _affine(pic: np.ndarray, coeffs: tuple[float, ...], size: tuple[int, int],
            fill: int | tuple[int, ...] = 0, *, dst: np.ndarray | None = None) -> np.ndarray:
    """``pic`` ((h, w) or (h, w, c) uint8) resampled bilinearly onto a (w, h) = ``size``
    canvas through the inverse map ``coeffs`` = (a, b, c, d, e, f): output pixel centre
    (x + .5, y + .5) samples the picture at (a x' + b y' + c, d x' + e y' + f) in its
    continuous coordinates (Pillow's convention, pixel k spanning [k, k + 1]). Outside the
    picture is ``fill``; the border pixels blend with it over one pixel, which is what a
    1-pixel ``fill`` border around the picture gave Pillow (anti-aliased edges).

    OpenCV's warpAffine, not Pillow's transform: 5-7x faster (SIMD, fixed-point weights,
    its own threads) and it releases the GIL, so export's render-ahead thread overlaps the
    encoder. Within a level of Pillow's result (1/32-pixel positions, 15-bit weights).
    ``dst``: a (h, w[, c]) uint8 array (a view with padded rows will do) written in place
    and returned."""
    cv2 = opencv()

    a, b, c, d, e, f = coeffs
    # OpenCV puts pixel centres on integers: shift the output by +.5, the source by -.5.
    m = np.array([[a, b, c + 0.5 * (a + b) - 0.5], [d, e, f + 0.5 * (d + e) - 0.5]])
    channels = 1 if pic.ndim == 2 else pic.shape[2]
    border = (fill,) * channels if isinstance(fill, int) else tuple(fill)
    out = cv2.warpAffine(np.ascontiguousarray(pic), m, size, dst=dst,
                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    assert dst is None or out is dst, "OpenCV copied instead of writing into dst"
    if pic.ndim == 3 and out.ndim == 2:  # OpenCV drops a single channel's axis
        out = out[..., None]
    return out


def _opaque_rgba(pic: np.ndarray) -> np.ndarray:
    """(h, w, 3) RGB or (h, w, 4) straight RGBA as premultiplied RGBA (alpha 255 for RGB)."""
    if pic.shape[2] == 4:
        return _premultiply(pic)
    cv2 = opencv()

    return cv2.cvtColor(np.ascontiguousarray(pic), cv2.COLOR_RGB2RGBA)


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


def _flatten(layer: Layer | None, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Full-frame float32 canvases of a layer: colour premultiplied by alpha (h, w, 3) and
    alpha (h, w, 1)."""
    w, h = size
    if layer is None:
        return np.zeros((h, w, 3), np.float32), np.zeros((h, w, 1), np.float32)
    rgb, alpha = layer
    if isinstance(rgb, Sprite):
        sh, sw = rgb.rgba.shape[:2]
        pre = np.zeros((h, w, 3), np.float32)
        cover = np.zeros((h, w, 1), np.float32)
        region = (slice(rgb.y, rgb.y + sh), slice(rgb.x, rgb.x + sw))
        pre[region] = rgb.rgba[..., :3].astype(np.float32) * float(alpha)
        cover[region] = rgb.rgba[..., 3:4].astype(np.float32) / 255.0 * float(alpha)
        return pre, cover
    a = np.broadcast_to(np.asarray(alpha, np.float32), (h, w)).reshape(h, w, 1)
    return rgb.astype(np.float32, copy=False) * a, a


def _is_scalar_uint8(layer: Layer, size: tuple[int, int]) -> bool:
    return _is_full_uint8(layer, size) and layer[0].shape[2] == 3


def _is_full_uint8(layer: Layer | None, size: tuple[int, int]) -> bool:
    return (layer is not None and isinstance(layer[1], float)
            and isinstance(layer[0], np.ndarray) and layer[0].dtype == np.uint8
            and layer[0].shape[1] == size[0] and layer[0].shape[0] == size[1])


def _over(out: np.ndarray, rgb: np.ndarray | Sprite, alpha: np.ndarray | float, *,
          flat: tuple[int, int, int] | None = None) -> None:
    """Composite ``rgb`` with ``alpha`` over the opaque ``out`` in place. ``flat``: every
    pixel of ``out`` is that colour (nothing drawn yet), which lets a sprite skip a blend."""
    if isinstance(rgb, Sprite):
        _over_sprite(out, rgb, float(alpha), flat)
        return
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


@functools.lru_cache(maxsize=257)
def _opacity_lut(ai: int) -> list[int]:
    """Alpha scaled by ``ai`` / 256 (8.8 fixed point) as a Pillow ``point`` table, built once
    per opacity level instead of on every frame. Callers must not change it."""
    return [(v * ai + 128) >> 8 for v in range(256)]


def _over_sprite(out: np.ndarray, sprite: Sprite, opacity: float,
                 flat: tuple[int, int, int] | None) -> None:
    """Premultiplied "over": out = colour * opacity + out * (1 - alpha * opacity), in C
    (Pillow) over the sprite's box only."""
    from PIL import Image

    pre = sprite.rgba
    sh, sw = pre.shape[:2]
    if sh == 0 or sw == 0 or opacity <= 0.0:
        return
    region = out[sprite.y:sprite.y + sh, sprite.x:sprite.x + sw, :3]
    if flat == (0, 0, 0):
        # Over black the premultiplied colour is the result.
        if opacity >= 1.0:
            region[...] = pre[..., :3]
        else:
            ai = round(opacity * 256)
            region[...] = (pre[..., :3].astype(np.uint16) * ai + 128) >> 8
        return
    im = Image.frombuffer("RGBa", (sw, sh), np.ascontiguousarray(pre), "raw", "RGBa", 0, 1)
    straight = im.convert("RGBA")
    mask = straight.getchannel("A")
    if opacity < 1.0:
        mask = mask.point(_opacity_lut(round(opacity * 256)))
    under = Image.fromarray(np.ascontiguousarray(region))
    under.paste(straight.convert("RGB"), (0, 0), mask)
    region[...] = np.asarray(under)


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


def _warp(pic: np.ndarray, scaled: tuple[int, int], centre: tuple[float, float],
          rotation: float, size: tuple[int, int], opacity: float) -> Layer | None:
    """Place ``pic`` scaled to ``scaled`` (w, h) with its centre at ``centre``, turned
    ``rotation`` degrees clockwise, over a transparent frame of ``size``; None when none of
    it shows. As before the fast paths: the picture is scaled first (bilinear, filtered
    when shrinking), then sampled bilinearly with a 1-pixel transparent border around it,
    so its edges are anti-aliased.

    The cheapest way for each case, all in C: the picture itself when it fills the frame
    unmoved, a slice when it moves by whole pixels, a crop + resize of only the part that
    shows for a scale (Pillow), a same-size box resize for a sub-pixel move (bilinear
    interpolation, separable), an affine transform for a turn (Pillow).
    ``tests/timeline/transform_oracle.py`` keeps the per-pixel numpy version these are
    checked against."""
    turn = rotation % 360.0
    if min(turn, 360.0 - turn) < 1e-9:
        left, top = centre[0] - scaled[0] / 2, centre[1] - scaled[1] / 2
        if (pic.shape[1], pic.shape[0]) != scaled:
            pic, left, top = _visible_part(pic, scaled, left, top, size)
            if pic is None:
                return None
        if abs(left - round(left)) < 1e-6 and abs(top - round(top)) < 1e-6:
            return _shifted(pic, round(left), round(top), size, opacity)
        return _subpixel(pic, left, top, size, opacity)
    out_w, out_h = size
    theta = np.deg2rad(rotation)
    cos, sin = float(np.cos(theta)), float(np.sin(theta))
    half_w, half_h = scaled[0] / 2, scaled[1] / 2
    ext_x = abs(half_w * cos) + abs(half_h * sin) + 1
    ext_y = abs(half_w * sin) + abs(half_h * cos) + 1
    x0 = max(0, int(np.floor(centre[0] - ext_x)))
    x1 = min(out_w, int(np.ceil(centre[0] + ext_x)))
    y0 = max(0, int(np.floor(centre[1] - ext_y)))
    y1 = min(out_h, int(np.ceil(centre[1] + ext_y)))
    if x1 <= x0 or y1 <= y0:
        return None
    from PIL import Image

    # Output pixel (i, j) of the box, centre (x0 + i + .5, y0 + j + .5) in the frame, comes
    # from the inverse turn of its offset from ``centre``, in the scaled picture's continuous
    # coordinates (Pillow's convention: pixel k spans [k, k + 1]).
    dx, dy = x0 - centre[0], y0 - centre[1]
    u0, v0 = cos * dx + sin * dy + half_w, -sin * dx + cos * dy + half_h
    # Scale only the part of the picture the box can see (a zoom-in shows a fraction), two
    # pixels beyond it so the crop's own edges are never sampled.
    bw, bh = x1 - x0, y1 - y0
    us = [u0 + cos * x + sin * y for x, y in ((0, 0), (bw, 0), (0, bh), (bw, bh))]
    vs = [v0 - sin * x + cos * y for x, y in ((0, 0), (bw, 0), (0, bh), (bw, bh))]
    ax, bx = max(0, int(np.floor(min(us))) - 2), min(scaled[0], int(np.ceil(max(us))) + 2)
    ay, by = max(0, int(np.floor(min(vs))) - 2), min(scaled[1], int(np.ceil(max(vs))) + 2)
    if bx <= ax or by <= ay:
        return None
    if (pic.shape[1], pic.shape[0]) == scaled:
        pic = pic[ay:by, ax:bx]
    else:
        kx, ky = pic.shape[1] / scaled[0], pic.shape[0] / scaled[1]
        im = Image.fromarray(np.ascontiguousarray(pic))
        pic = np.asarray(im.resize((bx - ax, by - ay), Image.Resampling.BILINEAR,
                                   box=(ax * kx, ay * ky, bx * kx, by * ky)))
    coeffs = (cos, sin, u0 - ax, -sin, cos, v0 - ay)
    if pic.shape[2] == 3 and (x0, y0, x1, y1) == (0, 0, out_w, out_h) and _covers(
            pic.shape, coeffs, size):
        # Every frame pixel lies a pixel or more inside the turned picture (a zoom-in):
        # no edge shows, so no alpha is needed and the result is an opaque frame.
        return _affine(pic, coeffs, size), min(1.0, opacity)
    # Premultiplied RGBA over a transparent border: colour and alpha resample alike.
    return Sprite(_affine(_opaque_rgba(pic), coeffs, (x1 - x0, y1 - y0)), x0, y0), opacity


def _visible_part(pic: np.ndarray, scaled: tuple[int, int], left: float, top: float,
                  size: tuple[int, int]) -> tuple[Any, float, float]:
    """Crop + resize: the pixels of ``pic`` scaled to ``scaled`` that can show in the frame
    (plus a pixel beyond it, for the sampling), without scaling the rest; with the crop's
    own top-left corner. The same pixels a resize of the whole picture gives (the filter
    reads across the crop's edges). (None, 0, 0) when nothing shows."""
    from PIL import Image

    sw, sh = scaled
    # Scaled-picture pixels from a (inclusive) to b (exclusive) on each axis.
    ax = max(0, int(np.floor(-left)) - 1)
    bx = min(sw, int(np.ceil(size[0] - left)) + 1)
    ay = max(0, int(np.floor(-top)) - 1)
    by = min(sh, int(np.ceil(size[1] - top)) + 1)
    if bx <= ax or by <= ay:
        return None, 0.0, 0.0
    ph, pw = pic.shape[:2]
    kx, ky = pw / sw, ph / sh
    im = Image.fromarray(np.ascontiguousarray(pic))
    part = im.resize((bx - ax, by - ay), Image.Resampling.BILINEAR,
                     box=(ax * kx, ay * ky, bx * kx, by * ky))
    # Only the picture's true edges get the transparent border; a crop edge lies outside
    # the frame (a pixel beyond it), where its border cannot show.
    return np.asarray(part), left + ax, top + ay


def _covers(shape: tuple[int, ...], coeffs: tuple[float, ...], size: tuple[int, int]) -> bool:
    """Whether all four frame corners map at least a pixel inside the picture."""
    ph, pw = shape[:2]
    a, b, c, d, e, f = coeffs
    for x, y in ((0, 0), (size[0], 0), (0, size[1]), (size[0], size[1])):
        u, v = a * x + b * y + c, d * x + e * y + f
        if not (1 <= u <= pw - 1 and 1 <= v <= ph - 1):
            return False
    return True


def _shifted(pic: np.ndarray, left: int, top: int, size: tuple[int, int], opacity: float
             ) -> Layer | None:
    """``pic`` moved by whole pixels: the visible part is a slice, no resampling."""
    out_w, out_h = size
    ph, pw = pic.shape[:2]
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(out_w, left + pw), min(out_h, top + ph)
    if x1 <= x0 or y1 <= y0:
        return None
    part = pic[y0 - top:y1 - top, x0 - left:x1 - left]
    if (x0, y0, x1, y1) == (0, 0, out_w, out_h) and pic.shape[2] == 3:
        return part, min(1.0, opacity)  # fills the frame: an ordinary full picture
    rgba = np.empty(part.shape[:2] + (4,), np.uint8)
    if pic.shape[2] == 3:
        rgba[..., :3] = part
        rgba[..., 3] = 255
    else:
        rgba[...] = _premultiply(part)
    return Sprite(rgba, x0, y0), opacity


def _premultiply(rgba: np.ndarray) -> np.ndarray:
    from PIL import Image

    h, w = rgba.shape[:2]
    im = Image.frombuffer("RGBA", (w, h), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1)
    return np.asarray(im.convert("RGBa"))


def _subpixel(pic: np.ndarray, left: float, top: float, size: tuple[int, int],
              opacity: float) -> Layer | None:
    """``pic`` with its top-left corner at a fractional (``left``, ``top``): bilinear
    interpolation, a translation through ``_affine`` over the box the moved picture
    touches."""
    out_w, out_h = size
    ph, pw = pic.shape[:2]
    x0, y0 = max(0, int(np.floor(left))), max(0, int(np.floor(top)))
    x1 = min(out_w, int(np.ceil(left + pw)))
    y1 = min(out_h, int(np.ceil(top + ph)))
    if x1 <= x0 or y1 <= y0:
        return None
    # Frame x maps to x - left in the picture.
    coeffs = (1.0, 0.0, x0 - left, 0.0, 1.0, y0 - top)
    if (x0, y0, x1, y1) == (0, 0, out_w, out_h) and pic.shape[2] == 3 and _covers(
            pic.shape, coeffs, size):
        # A pixel inside the picture all round: no edge shows, an opaque full frame.
        return _affine(pic, coeffs, size), min(1.0, opacity)
    moved = _affine(_opaque_rgba(pic), coeffs, (x1 - x0, y1 - y0))
    return Sprite(moved, x0, y0), opacity


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
        if item is None or not item.enabled:
            continue
        if (not isinstance(item, Clip) or item.opacity < 1.0
                or (item.transform and not _is_identity(
                    evaluate_transform(item.transform, n - item.start)))
                or (sequence.settings.width, sequence.settings.height) != size):
            return None
        return item.asset, Fraction(item.source_in + (n - item.start)) / sequence.fps
    return None


def _is_identity(key: TransformKey) -> bool:
    turn = key.rotation % 360.0
    return (key.x == 0.0 and key.y == 0.0 and key.scale == 1.0 and key.opacity >= 1.0
            and min(turn, 360.0 - turn) < 1e-9)


@dataclass(frozen=True)
class MovedCut:
    """Frame n is one transformed clip over the background alone (see ``moved_cut``)."""

    asset: int
    time: Fraction  # media time of its picture
    size: tuple[int, int]  # the frame's
    scaled: tuple[int, int]  # the picture's size after the keyframe's scale
    centre: tuple[float, float]  # where its centre lands in the frame
    rotation: float  # degrees clockwise
    opacity: float


def moved_cut(sequence: Sequence, n: int, size: tuple[int, int]) -> MovedCut | None:
    """When frame ``n`` shows exactly one clip with a keyframed transform over the
    background, nothing beneath it and outside any dissolve: where its picture goes,
    assuming that picture fills the frame unscaled (export checks the decoded size). Export
    then moves the decoded YCbCr planes themselves (``warp_yuv420``), with no RGB round
    trip, the way ``plain_cut`` passes untouched frames on."""
    video = sorted(sequence.video_tracks, key=lambda t: t.info.index, reverse=True)
    solo = [t for t in video if t.info.solo]
    found: Clip | None = None
    for track in (solo or video):
        if track.info.hidden:
            continue
        if _dissolve_at(sequence, track, n) is not None:
            return None
        item = track.item_at(n)
        if item is None:
            continue
        if found is not None or not isinstance(item, Clip) or not item.transform:
            return None  # something under the moved clip, or not a moved clip on top
        found = item
    if found is None or (sequence.settings.width, sequence.settings.height) != size:
        return None
    key = evaluate_transform(found.transform, n - found.start)
    opacity = min(1.0, float(found.opacity) * key.opacity)
    if opacity <= 0.0:
        return None
    w = min(8192, max(2, round(size[0] * key.scale / 2) * 2))
    h = min(8192, max(2, round(size[1] * key.scale / 2) * 2))
    return MovedCut(found.asset, Fraction(found.source_in + (n - found.start)) / sequence.fps,
                    size, (w, h), (size[0] / 2 + key.x, size[1] / 2 + key.y), key.rotation,
                    opacity)


def warp_yuv420(planes: tuple[np.ndarray, np.ndarray, np.ndarray], cut: MovedCut,
                background: tuple[int, int, int] = (16, 128, 128), *,
                size: tuple[int, int] | None = None,
                out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Y, Cb, Cr planes (4:2:0) of a frame-filling picture (or of that picture already
    scaled to ``cut.scaled``) placed as ``cut`` says over a flat ``background``
    (limited-range black by default), on a frame of ``size`` (default: the planes' own),
    each plane on its own grid (chroma at half size: half the offsets, the same turn). The
    same steps as the RGB ``_warp``, so it matches the RGB path within rounding; blending
    with the background at the edges in YCbCr equals blending in RGB, the conversion being
    affine. ``out``: the three planes to write (say, an encoder frame's own), returned; by
    default new arrays, or the input planes themselves where nothing moves."""
    moved_planes = []
    frame = size or (planes[0].shape[1], planes[0].shape[0])
    for i, (plane, fill, f) in enumerate(zip(planes, background, (1, 2, 2), strict=True)):
        scaled = (cut.scaled[0] // f, cut.scaled[1] // f)
        centre = (cut.centre[0] / f, cut.centre[1] / f)
        dest = out[i] if out is not None else None
        moved = _warp_plane(plane, scaled, centre, cut.rotation, (frame[0] // f,
                                                                   frame[1] // f), fill,
                            dest=dest)
        if cut.opacity < 1.0:
            cv2 = opencv()

            lut = _fade_lut(fill, cut.opacity)
            if dest is not None:
                moved = cv2.LUT(moved, lut, dst=dest)
            else:
                moved = cv2.LUT(np.ascontiguousarray(moved), lut)
        moved_planes.append(moved)
    return moved_planes[0], moved_planes[1], moved_planes[2]


@functools.lru_cache(maxsize=64)
def _fade_lut(fill: int, opacity: float) -> np.ndarray:
    """The 8-bit table taking a level ``v`` to ``fill + (v - fill) * opacity``, rounded:
    a fade towards a flat background, built once per (fill, opacity) (a fade keyframed over
    a clip asks for the same few values again on every export and every playback pass)."""
    lut = np.array([round(fill + (v - fill) * opacity) for v in range(256)], np.uint8)
    lut.flags.writeable = False
    return lut


def _warp_plane(plane: np.ndarray, scaled: tuple[int, int], centre: tuple[float, float],
                rotation: float, size: tuple[int, int], fill: int, *,
                dest: np.ndarray | None = None) -> np.ndarray:
    """One 8-bit plane through ``_warp``'s steps, over ``fill``, as a full plane: ``dest``
    ((h, w) uint8, written in place) when given."""

    def canvas(flat: bool = True) -> np.ndarray:
        target = dest if dest is not None else np.empty((out_h, out_w), np.uint8)
        if flat:
            target[...] = fill
        return target


    out_w, out_h = size
    turn = rotation % 360.0
    if min(turn, 360.0 - turn) < 1e-9:
        left, top = centre[0] - scaled[0] / 2, centre[1] - scaled[1] / 2
        if (plane.shape[1], plane.shape[0]) != scaled:
            part, left, top = _visible_part(plane, scaled, left, top, size)
            if part is None:
                return canvas()
            plane = part
        ph, pw = plane.shape
        if abs(left - round(left)) < 1e-6 and abs(top - round(top)) < 1e-6:
            lx, ty = round(left), round(top)
            if (lx, ty, pw, ph) == (0, 0, out_w, out_h):
                if dest is None:
                    return plane
                dest[...] = plane
                return dest
            moved = canvas()
            x0, y0 = max(0, lx), max(0, ty)
            x1, y1 = min(out_w, lx + pw), min(out_h, ty + ph)
            if x1 > x0 and y1 > y0:
                moved[y0:y1, x0:x1] = plane[y0 - ty:y1 - ty, x0 - lx:x1 - lx]
            return moved
        cos, sin = 1.0, 0.0
    else:
        if (plane.shape[1], plane.shape[0]) != scaled:
            plane = _resized(plane, scaled)
        ph, pw = plane.shape
        theta = np.deg2rad(rotation)
        cos, sin = float(np.cos(theta)), float(np.sin(theta))
    # Only the turned picture's bounding box is sampled; the rest is background.
    ext_x = abs(pw / 2 * cos) + abs(ph / 2 * sin) + 1
    ext_y = abs(pw / 2 * sin) + abs(ph / 2 * cos) + 1
    x0 = max(0, int(np.floor(centre[0] - ext_x)))
    x1 = min(out_w, int(np.ceil(centre[0] + ext_x)))
    y0 = max(0, int(np.floor(centre[1] - ext_y)))
    y1 = min(out_h, int(np.ceil(centre[1] + ext_y)))
    if x1 <= x0 or y1 <= y0:
        return canvas()
    dx, dy = x0 - centre[0], y0 - centre[1]
    coeffs = (cos, sin, cos * dx + sin * dy + pw / 2,
              -sin, cos, -sin * dx + cos * dy + ph / 2)
    # A sub-pixel move is the same transform with no turn; outside the picture (and over
    # its one-pixel anti-aliased edge) is the background. Warped straight into the plane.
    moved = canvas(flat=(x0, y0, x1, y1) != (0, 0, out_w, out_h))
    _affine(plane, coeffs, (x1 - x0, y1 - y0), fill, dst=moved[y0:y1, x0:x1])
    return moved
