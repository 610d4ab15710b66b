"""Compositor rules on in-memory pictures: stacking, fit, opacity, dissolves, hidden/solo."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from timeline.editor import Timeline
from timeline.engine.compositor import fit, render_frame
from timeline.model import MediaInfo, Sequence, SequenceSettings, Track, TrackInfo

FPS = Fraction(25)


class ArraySource:
    """Pictures computed from (asset, media frame): each asset has a size and every media
    frame k is a flat colour (asset * 40, k, 255 - k), so a pixel names its frame."""

    def __init__(self, sizes: dict[int, tuple[int, int]]) -> None:
        self.sizes = sizes
        self.requests: list[tuple[int, Fraction, tuple[int, int]]] = []

    def display_size(self, asset: int) -> tuple[int, int] | None:
        return self.sizes.get(asset)

    def picture(self, asset: int, time: Fraction, size: tuple[int, int], *,
                proxy: bool = False) -> np.ndarray | None:
        self.requests.append((asset, time, size))
        k = int(time * FPS)
        w, h = size
        pic = np.empty((h, w, 3), np.uint8)
        pic[...] = (asset * 40, k % 256, 255 - k % 256)
        return pic


def timeline(width: int = 64, height: int = 36) -> Timeline:
    seq = Sequence(SequenceSettings(fps=FPS, width=width, height=height))
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    media = {
        1: MediaInfo(1, "video", 200, True, True),
        2: MediaInfo(2, "video", 200, True, False),
        3: MediaInfo(3, "video", 200, True, False),
    }
    return Timeline(seq, media=media)


def test_fit_letterboxes_and_pillarboxes_without_stretching() -> None:
    assert fit((1920, 1080), (1920, 1080)).__dict__ == {"width": 1920, "height": 1080,
                                                        "x": 0, "y": 0}
    # 4:3 into 16:9: pillarbox, full height.
    p = fit((640, 480), (1920, 1080))
    assert (p.width, p.height, p.x, p.y) == (1440, 1080, 240, 0)
    # Portrait phone video into landscape.
    p = fit((1080, 1920), (1920, 1080))
    assert (p.width, p.height) == (608, 1080) and p.x == (1920 - 608) // 2
    # Wider than the frame: letterbox.
    p = fit((1280, 552), (1280, 720))
    assert (p.width, p.height, p.x, p.y) == (1280, 552, 0, 84)


def test_cut_shows_exactly_the_named_source_frame() -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 10, "source_out": 30})
    tl.execute({"op": "append", "track": "V1", "asset": 2, "source_in": 50, "source_out": 60})
    src = ArraySource({1: (64, 36), 2: (64, 36)})
    f = render_frame(tl.sequence, 19, src)
    assert f.shape == (36, 64, 4) and f.dtype == np.uint8
    assert tuple(f[0, 0]) == (40, 29, 255 - 29, 255)  # clip 1, source frame 10 + 19
    f = render_frame(tl.sequence, 20, src)
    assert tuple(f[5, 5]) == (80, 50, 205, 255)  # first frame after the cut: clip 2 at 50
    # Past the end: background.
    assert tuple(render_frame(tl.sequence, 30, src)[0, 0]) == (0, 0, 0, 255)


def test_upper_tracks_cover_lower_ones_and_opacity_mixes() -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 20})
    tl.execute({"op": "overwrite", "track": "V2", "asset": 2, "source_in": 0, "source_out": 10,
                "at": 5})
    src = ArraySource({1: (64, 36), 2: (64, 36)})
    assert render_frame(tl.sequence, 6, src)[0, 0, 0] == 80  # V2 on top
    v2 = tl.sequence.track("V2").items[0]
    tl.execute({"op": "set", "item": v2.id, "opacity": 0.25})
    px = render_frame(tl.sequence, 6, src)[0, 0]
    # 0.75 * V1 (40, 6, 249) + 0.25 * V2 (80, 1, 254)
    assert tuple(px[:3]) == (50, 5, 250)
    tl.execute({"op": "set_track", "track": "V2", "hidden": True})
    assert render_frame(tl.sequence, 6, src)[0, 0, 0] == 40
    tl.execute({"op": "set_track", "track": "V2", "hidden": False})
    tl.execute({"op": "set_track", "track": "V1", "solo": True})
    assert render_frame(tl.sequence, 6, src)[0, 0, 0] == 40  # only the soloed track shows


def test_smaller_picture_is_centred_on_black() -> None:
    tl = timeline(64, 36)
    tl.execute({"op": "append", "track": "V1", "asset": 3, "source_in": 0, "source_out": 5})
    src = ArraySource({3: (36, 36)})  # square into 16:9: pillarbox
    f = render_frame(tl.sequence, 0, src)
    assert src.requests[-1][2] == (36, 36)
    assert tuple(f[18, 0]) == (0, 0, 0, 255)
    assert tuple(f[18, 63]) == (0, 0, 0, 255)
    assert f[18, 32, 0] == 120
    assert f[18, 14, 0] == 120 and f[18, 13, 0] == 0  # x offset (64 - 36) // 2 = 14


def test_cross_dissolve_uses_handles_and_mixes_linearly() -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 20})
    tl.execute({"op": "append", "track": "V1", "asset": 2, "source_in": 40, "source_out": 60})
    tl.execute({"op": "add_transition", "track": "V1", "at": 20, "duration": 4})
    src = ArraySource({1: (64, 36), 2: (64, 36)})
    reds = [int(render_frame(tl.sequence, n, src)[0, 0, 0]) for n in range(17, 24)]
    # Window [18, 22): weights (k + 0.5) / 4 of the incoming clip (red 80) over red 40.
    assert reds == [40, 45, 55, 65, 75, 80, 80]
    # In the window the outgoing clip continues into its handle (source 20, 21 at frames
    # 20, 21) and the incoming one starts early (source 38, 39 at frames 18, 19).
    src.requests.clear()
    render_frame(tl.sequence, 18, src)
    asked = {(a, int(t * FPS)) for a, t, _ in src.requests}
    assert asked == {(1, 18), (2, 38)}
    src.requests.clear()
    render_frame(tl.sequence, 21, src)
    assert {(a, int(t * FPS)) for a, t, _ in src.requests} == {(1, 21), (2, 41)}


def test_preview_size_scales_every_source() -> None:
    tl = timeline(64, 36)
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5})
    src = ArraySource({1: (64, 36)})
    f = render_frame(tl.sequence, 0, src, size=(32, 18))
    assert f.shape == (18, 32, 4) and src.requests[-1][2] == (32, 18)


def test_generated_segment_without_takes_shows_a_pending_card() -> None:
    tl = timeline()
    tl.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 10, "prompt": "x"})
    f = render_frame(tl.sequence, 3, ArraySource({}))
    colours = {tuple(p) for p in f[..., :3].reshape(-1, 3)}
    assert colours == {(70, 40, 90), (90, 55, 115)}


@pytest.mark.parametrize("n", [0, 7])
def test_missing_picture_leaves_the_lower_track_visible(n: int) -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10})
    tl.execute({"op": "overwrite", "track": "V2", "asset": 2, "source_in": 0, "source_out": 10,
                "at": 0})
    src = ArraySource({1: (64, 36)})  # asset 2 offline: no size, no picture
    assert render_frame(tl.sequence, n, src)[0, 0, 0] == 40


# --- keyframed transform --------------------------------------------------------------------


class GradientSource(ArraySource):
    """Pictures with a horizontal red ramp and vertical green ramp, to see orientation."""

    def picture(self, asset: int, time: Fraction, size: tuple[int, int], *,
                proxy: bool = False) -> np.ndarray | None:
        self.requests.append((asset, time, size))
        w, h = size
        pic = np.zeros((h, w, 3), np.uint8)
        pic[..., 0] = np.linspace(0, 255, w, dtype=np.float32)[None, :]
        pic[..., 1] = np.linspace(0, 255, h, dtype=np.float32)[:, None]
        pic[..., 2] = 200
        return pic


def test_evaluate_transform_holds_interpolates_and_eases() -> None:
    from timeline.engine.compositor import evaluate_transform
    from timeline.model import TransformKey

    keys = (TransformKey(10, x=0, scale=1.0), TransformKey(20, x=100, scale=2.0,
                                                           easing="hold"))
    assert evaluate_transform(keys, 0).x == 0 and evaluate_transform(keys, 30).x == 100
    assert evaluate_transform(keys, 15).x == 50 and evaluate_transform(keys, 15).scale == 1.5
    eased = (TransformKey(0, x=0, easing="ease_in_out"), TransformKey(10, x=100))
    xs = [evaluate_transform(eased, k).x for k in range(11)]
    assert xs[5] == 50 and xs[1] < 10 and xs[9] > 90  # slow out, slow in
    held = (TransformKey(0, x=0, easing="hold"), TransformKey(10, x=100))
    assert [evaluate_transform(held, k).x for k in (0, 9, 10)] == [0, 0, 100]


def test_identity_transform_matches_plain_fit_exactly() -> None:
    tl = timeline(64, 36)
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5})
    src = GradientSource({1: (64, 36)})
    plain = render_frame(tl.sequence, 2, src)
    tl.execute({"op": "set", "item": 1, "transform": [{"frame": 0}]})
    assert np.array_equal(render_frame(tl.sequence, 2, src), plain)


def test_position_scale_rotation_and_opacity_keys() -> None:
    tl = timeline(64, 36)
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10})
    src = GradientSource({1: (64, 36)})
    # Half size, moved 16 px right: covers x 32..64, y 9..27.
    tl.execute({"op": "set", "item": 1, "transform": [[0, 16, 0, 0.5]]})
    f = render_frame(tl.sequence, 0, src)
    # Decoded at the fitted size (one size for the whole clip), shrunk afterwards.
    assert src.requests[-1][2] == (64, 36)
    assert (f[:, :31, :3] == 0).all() and (f[:8, :, :3] == 0).all()
    assert (f[10:26, 33:63, 2] == 200).all()
    # Turned 90 degrees clockwise: the red ramp (left to right) now runs top to bottom.
    tl.execute({"op": "set", "item": 1, "transform": [[0, 0, 0, 0.5, 90.0]]})
    f = render_frame(tl.sequence, 0, src).astype(int)
    column = f[2:34, 32, 0]
    assert column[0] < 40 and column[-1] > 215 and np.all(np.diff(column) >= -1)
    assert (f[:, :20, :3] == 0).all()  # 18 px wide after turning: x 23..41
    # Keyframed opacity fades the clip out over the black background.
    tl.execute({"op": "set", "item": 1, "transform": [[0, 0, 0, 1, 0, 1.0], [9, 0, 0, 1, 0, 0.0]]})
    blues = [int(render_frame(tl.sequence, n, src)[18, 32, 2]) for n in (0, 3, 6, 9)]
    assert blues[0] == 200 and blues[-1] == 0 and blues == sorted(blues, reverse=True)


def test_bad_transform_keys_are_refused() -> None:
    from timeline.model import EditError

    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10})
    for bad, message in [([[10]], "0..9"), ([[0, 0, 0, 0]], "scale must be > 0"),
                         ([{"frame": 0, "easing": "bounce"}], "easing must be one of"),
                         ([[0], [0]], "same frame"), ("x", "must be a list")]:
        with pytest.raises(EditError, match=message):
            tl.execute({"op": "set", "item": 1, "transform": bad})
