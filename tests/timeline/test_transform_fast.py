"""The fast keyframed-transform and previz-plate paths (issue 23) against the per-pixel
numpy code they replaced (``transform_oracle``), and that each case takes its fast path.

Tolerances: every case here stays within 2 levels of the oracle (the C code rounds once, in
8 bits, where the oracle worked in float); the bounds below leave a little room and are far
below what an H.264 encode at CRF 18 changes (mean ~1-2, max tens of levels)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import timeline.conditioning.scene as scene
import timeline.engine.compositor as comp
from timeline.conditioning.camera import CameraState, build_path, parse_stages
from timeline.editor import Timeline
from timeline.engine.export import PRESETS, _moved_frame, _to_video_frame
from timeline.model import MediaInfo, Sequence, SequenceSettings, Track, TrackInfo

from .transform_oracle import old_pipeline_warp, plate_view_reference, warp_reference

FPS = Fraction(25)


def texture(w: int, h: int, seed: int = 1, noise: int = 40) -> np.ndarray:
    """A photo-like picture: smooth colour, fine noise and hard edges, so resampling
    differences show."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (max(2, h // 8), max(2, w // 8), 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC))
    fine = rng.integers(-noise, noise + 1, (h, w, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    checker = (((xx // 7) + (yy // 5)) % 2 * 60)[..., None]
    return np.clip(smooth.astype(int) + fine + checker - 30, 0, 255).astype(np.uint8)


class PictureSource:
    """Asset 1: ``picture`` resized to whatever size is asked (bilinear, as a decoder's
    scaler would); ``alpha`` adds a left-to-right alpha ramp. Records requested sizes."""

    def __init__(self, picture: np.ndarray, alpha: bool = False) -> None:
        self.base = picture
        self.alpha = alpha
        self.sizes: list[tuple[int, int]] = []
        self.last: np.ndarray | None = None

    def display_size(self, asset: int) -> tuple[int, int] | None:
        return self.base.shape[1], self.base.shape[0]

    def picture(self, asset: int, time: Fraction, size: tuple[int, int], *,
                proxy: bool = False) -> np.ndarray | None:
        self.sizes.append(size)
        pic = self.base
        if (pic.shape[1], pic.shape[0]) != size:
            pic = np.asarray(Image.fromarray(pic).resize(size, Image.Resampling.BILINEAR))
        if self.alpha:
            ramp = np.linspace(40, 255, size[0]).astype(np.uint8)[None, :]
            pic = np.dstack([pic, np.repeat(ramp, size[1], 0)])
        self.last = pic
        return pic


def make_timeline(w: int, h: int, keys: list | None, *, second: bool = False) -> Timeline:
    seq = Sequence(SequenceSettings(fps=FPS, width=w, height=h))
    for name, index in (("V1", 1), ("V2", 2)):
        seq.tracks[name] = Track(TrackInfo(name=name, kind="video", index=index))
    tl = Timeline(seq, media={1: MediaInfo(1, "video", 200, True, False),
                              2: MediaInfo(2, "video", 200, True, False)})
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 20})
    if second:
        tl.execute({"op": "append", "track": "V1", "asset": 2, "source_in": 10,
                    "source_out": 30})
    if keys is not None:
        tl.execute({"op": "set", "item": 1, "transform": keys})
    return tl


def with_oracle(monkeypatch: pytest.MonkeyPatch, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        m.setattr(comp, "_warp", old_pipeline_warp)
        return fn(*args, **kw)


def diff(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    d = np.abs(a.astype(int) - b.astype(int))
    return float(d.mean()), int(d.max())


# Each: [frame, x, y, scale, rotation, opacity]. Moves whole and fractional, shrinks and
# zooms, turns by odd angles and quarter turns, half off the frame, faded.
CASES = [
    [0, 0, 0, 1, 0], [0, 7, -3, 1, 0], [0, 3.3, -2.7, 1, 0], [0, 0, 0, 0.5, 0],
    [0, 10.25, 5.5, 0.77, 0, 0.6], [0, -4.5, 2, 1.6, 0], [0, 0, 0, 1, 7.3],
    [0, -12, 6, 0.8, -10], [0, 5, -3, 1.4, 33], [0, 8, 0, 1, 90], [0, 0, 0, 1, 180],
    [0, 3, 3, 0.5, -45, 0.5], [0, 120, 0, 1, 20], [0, 0, 0, 1, 360], [0, 400, 0, 1, 0],
    [0, 1.5, 0.5, 2.5, 0],
]


@pytest.mark.parametrize("key", CASES, ids=[str(k) for k in CASES])
@pytest.mark.parametrize("background", [(0, 0, 0), (30, 60, 90)])
def test_rgb_fast_paths_match_the_numpy_warp(monkeypatch: pytest.MonkeyPatch, key: list,
                                             background: tuple[int, int, int]) -> None:
    tl = make_timeline(160, 90, [key])
    src = PictureSource(texture(160, 90))
    new = comp.render_frame(tl.sequence, 0, src, background=background)
    old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, 0, src,
                      background=background)
    mean, worst = diff(new, old)
    assert mean <= 0.4 and worst <= 2, (mean, worst)
    assert (new[..., 3] == 255).all()


@pytest.mark.parametrize("size", [(161, 91), (97, 55)])
def test_odd_frame_sizes_and_rgb_output(monkeypatch: pytest.MonkeyPatch,
                                        size: tuple[int, int]) -> None:
    tl = make_timeline(*size, [[0, 2.5, -1.25, 0.9, 13.0]])
    src = PictureSource(texture(120, 80))
    new = comp.render_frame(tl.sequence, 0, src, alpha=False)
    old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, 0, src, alpha=False)
    assert new.shape == (size[1], size[0], 3)
    mean, worst = diff(new, old)
    assert mean <= 0.4 and worst <= 2


def test_preview_size_and_keyframes_between(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [[0, -20, 10, 0.7, -15, 1.0, "ease_in_out"], [10, 25, -5, 1.3, 20, 0.4]]
    tl = make_timeline(160, 90, keys)
    src = PictureSource(texture(160, 90))
    for n in (0, 3, 7, 10):
        new = comp.render_frame(tl.sequence, n, src, size=(80, 45))
        old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, n, src, size=(80, 45))
        mean, worst = diff(new, old)
        assert mean <= 0.4 and worst <= 2, (n, mean, worst)


def test_dissolve_with_a_moved_clip(monkeypatch: pytest.MonkeyPatch) -> None:
    tl = make_timeline(160, 90, [[0, 3.3, -2.7, 0.8, 10]], second=True)
    tl.execute({"op": "add_transition", "track": "V1", "at": 20, "duration": 4})
    src = PictureSource(texture(160, 90))
    for n in (18, 19, 20, 21):
        new = comp.render_frame(tl.sequence, n, src)
        old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, n, src)
        mean, worst = diff(new, old)
        assert mean <= 0.4 and worst <= 2, (n, mean, worst)


def test_dissolve_from_a_letterboxed_clip_fades_linearly_in_the_bars() -> None:
    tl = make_timeline(160, 90, None, second=True)
    tl.execute({"op": "add_transition", "track": "V1", "at": 20, "duration": 4})

    class Two(PictureSource):
        def display_size(self, asset: int) -> tuple[int, int] | None:
            return (120, 90) if asset == 1 else (160, 90)  # 4:3 pillarboxed, then 16:9

        def picture(self, asset, time, size, *, proxy=False):  # type: ignore[no-untyped-def]
            return np.full((size[1], size[0], 3), 200 if asset == 2 else 90, np.uint8)

    bars = [int(comp.render_frame(tl.sequence, k, Two(texture(8, 8)))[45, 5, 0])
            for k in range(18, 22)]
    # Weights (k + .5) / 4 of the incoming 200 over black: 25, 75, 125, 175.
    assert bars == [25, 75, 125, 175]


def test_a_moved_clip_over_another_track(monkeypatch: pytest.MonkeyPatch) -> None:
    tl = make_timeline(160, 90, None)
    tl.execute({"op": "append", "track": "V2", "asset": 1, "source_in": 5, "source_out": 25})
    item = tl.sequence.tracks["V2"].items[0].id
    tl.execute({"op": "set", "item": item, "transform": [[0, 20.5, 9, 0.6, 25, 0.8]]})
    src = PictureSource(texture(160, 90))
    new = comp.render_frame(tl.sequence, 2, src)
    old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, 2, src)
    mean, worst = diff(new, old)
    assert mean <= 0.4 and worst <= 2


def premultiplied_oracle(pic, scaled, centre, rotation, size, opacity):  # type: ignore[no-untyped-def]
    """The numpy warp given premultiplied colour: correct for pictures with alpha (the old
    code averaged straight colour and then divided by alpha, brightening every
    semi-transparent pixel)."""
    if (pic.shape[1], pic.shape[0]) != scaled:
        pic = np.asarray(Image.fromarray(pic).resize(scaled, Image.Resampling.BILINEAR))
    pre = pic.astype(np.float32)
    pre[..., :3] *= pre[..., 3:4] / 255.0
    return warp_reference(pre, centre, rotation, size, opacity)


@pytest.mark.parametrize("key", [[0, 0, 0, 1, 0], [0, 3.3, -2.7, 1, 0], [0, 5, 5, 0.7, 21],
                                 [0, 6, 0, 1.5, 0, 0.5]])
def test_pictures_with_alpha_composite_premultiplied(monkeypatch: pytest.MonkeyPatch,
                                                     key: list) -> None:
    tl = make_timeline(160, 90, [key])
    src = PictureSource(texture(160, 90), alpha=True)
    new = comp.render_frame(tl.sequence, 0, src, background=(30, 60, 90))
    with monkeypatch.context() as m:
        m.setattr(comp, "_warp", premultiplied_oracle)
        ref = comp.render_frame(tl.sequence, 0, src, background=(30, 60, 90))
    mean, worst = diff(new, ref)
    assert mean <= 0.5 and worst <= 3, (mean, worst)
    if key == [0, 0, 0, 1, 0]:
        # Unmoved, it is exactly the clip without a transform.
        plain = make_timeline(160, 90, None)
        assert diff(new, comp.render_frame(plain.sequence, 0, src,
                                           background=(30, 60, 90)))[1] <= 1


def test_a_real_photo(monkeypatch: pytest.MonkeyPatch, testdata: Path) -> None:
    photo = np.asarray(Image.open(testdata / "images" / "astronaut.png").convert("RGB"))
    src = PictureSource(np.asarray(Image.fromarray(photo).resize((640, 360))))
    for key in ([0, -40, 20, 0.8, -10], [0, 13.5, -7.25, 1.25, 0], [0, 0, 0, 1.3, 12]):
        tl = make_timeline(640, 360, [key])
        new = comp.render_frame(tl.sequence, 0, src)
        old = with_oracle(monkeypatch, comp.render_frame, tl.sequence, 0, src)
        mean, worst = diff(new, old)
        assert mean <= 0.4 and worst <= 2, (key, mean, worst)


# --- which path ---------------------------------------------------------------------------


class Calls:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        self.sizes: list[tuple[int, int]] = []
        for name in ("transform", "resize"):
            original = getattr(Image.Image, name)

            def spy(im, *a, _name=name, _orig=original, **kw):  # type: ignore[no-untyped-def]
                self.names.append(_name)
                self.sizes.append(tuple(a[0]))
                return _orig(im, *a, **kw)

            monkeypatch.setattr(Image.Image, name, spy)
        import cv2

        warp = cv2.warpAffine

        def warp_spy(src, m, dsize, *a, **kw):  # type: ignore[no-untyped-def]
            self.names.append("warp")
            self.sizes.append(tuple(dsize))
            return warp(src, m, dsize, *a, **kw)

        monkeypatch.setattr(cv2, "warpAffine", warp_spy)


def test_each_case_takes_its_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    src = PictureSource(texture(160, 90))
    calls = Calls(monkeypatch)

    def render(key: list) -> np.ndarray:
        calls.names.clear()
        return comp.render_frame(make_timeline(160, 90, [key]).sequence, 0, src, alpha=False)

    # Identity: the decoded picture itself, no copy, no resampling.
    out = render([0, 0, 0, 1, 0, 1.0])
    assert calls.names == [] and np.shares_memory(out, src.last)
    # Whole-pixel move: a slice.
    render([0, 7, -3, 1, 0])
    assert calls.names == []
    # Sub-pixel move: one translation (OpenCV), over the moved picture's box only.
    calls.sizes.clear()
    render([0, 3.3, -2.7, 1, 0])
    assert calls.names == ["warp"] and calls.sizes == [(157, 88)]
    # Scale without a turn: a crop + resize of the visible part (then a slice or a box).
    render([0, 0, 0, 1.6, 0])
    assert calls.names == ["resize"]
    # A turn: one affine warp, no Pillow transform.
    render([0, 0, 0, 1, 33])
    assert calls.names == ["warp"]
    # A scaled turn: resize, then one warp.
    render([0, 0, 0, 0.8, 33])
    assert calls.names == ["resize", "warp"]
    # A zoom into a turned picture scales only the part that shows (the whole would be
    # 400x226 here), and the frame, covered, needs no alpha.
    calls.sizes.clear()
    render([0, 0, 0, 2.5, 20])
    assert calls.names == ["resize", "warp"]
    assert calls.sizes[0][0] * calls.sizes[0][1] < 0.5 * 400 * 226
    assert calls.sizes[1] == (160, 90)


def test_keyframed_scale_decodes_at_one_size() -> None:
    # A size per frame would restart the decoder at a keyframe on every frame.
    tl = make_timeline(160, 90, [[0, 0, 0, 0.5, 0], [10, 0, 0, 2.0, 30]])
    src = PictureSource(texture(320, 180))
    for n in range(12):
        comp.render_frame(tl.sequence, n, src)
    # Fitted 160x90, zoomed up to 2x, and the source has that much detail: 320x180.
    assert set(src.sizes) == {(320, 180)}
    # A 200x100 source fitted to 160x80 has only 1.25x more to give.
    assert comp.decode_size(tl.sequence.tracks["V1"].items[0].transform,
                            comp.fit((200, 100), (160, 90)), (200, 100)) == (200, 100)


def test_identity_keyframe_is_a_plain_cut_for_export() -> None:
    tl = make_timeline(160, 90, [[0, 0, 0, 1, 0], [10, 30, 0, 1, 0]])
    assert comp.plain_cut(tl.sequence, 0, (160, 90)) is not None
    assert comp.plain_cut(tl.sequence, 5, (160, 90)) is None
    moved = comp.moved_cut(tl.sequence, 5, (160, 90))
    assert moved is not None and moved.centre == (95.0, 45.0) and moved.scaled == (160, 90)
    # Something under the moved clip: not a moved cut (the RGB compositor blends them).
    tl.execute({"op": "append", "track": "V2", "asset": 1, "source_in": 0, "source_out": 20})
    item = tl.sequence.tracks["V2"].items[0].id
    tl.execute({"op": "set", "item": item, "transform": [[0, 30, 0, 0.5, 0]]})
    assert comp.moved_cut(tl.sequence, 5, (160, 90)) is None


# --- the YCbCr export path ----------------------------------------------------------------


@pytest.mark.parametrize("key", [[0, 0, 0, 1, 0, 0.5], [0, 7, -4, 1, 0], [0, 3.3, -2.7, 1, 0],
                                 [0, -12, 6, 0.8, -10], [0, 16, -4, 1.25, 12],
                                 [0, 10, 5, 1.3, 0], [0, 5, 0, 0.9, 37, 0.7],
                                 [0, 300, 0, 1, 0]])
def test_yuv_planes_match_the_rgb_compositor(key: list) -> None:
    w, h = 192, 108
    rgb = texture(w, h, seed=3, noise=10)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format="yuv420p", dst_colorspace="ITU709")
    # What a decoder hands the RGB compositor for that frame.
    decoded = frame.reformat(format="rgb24", src_colorspace="ITU709").to_ndarray()

    def rgb_path(keys: list) -> np.ndarray:
        tl = make_timeline(w, h, keys)
        picture = comp.render_frame(tl.sequence, 0, PictureSource(decoded), alpha=False)
        return _to_video_frame(picture, PRESETS["h264"]).to_ndarray().astype(int)

    # The RGB path's own loss: YCbCr -> RGB -> YCbCr of the unmoved frame (4:2:0 chroma
    # through RGB and back is not exact on detailed pictures).
    floor = np.abs(frame.to_ndarray().astype(int) - rgb_path([[0, 0, 0, 1, 0]]))
    cut = comp.moved_cut(make_timeline(w, h, [key]).sequence, 0, (w, h))
    assert cut is not None
    d = np.abs(_moved_frame(frame, cut).to_ndarray().astype(int) - rgb_path([key]))
    luma, chroma = d[:h], d[h:]
    # Within that loss (plus rounding): the planes move exactly as the RGB picture does.
    assert luma.mean() <= floor[:h].mean() + 0.2, (luma.mean(), floor[:h].mean())
    assert luma.max() <= floor[:h].max() + 2, (luma.max(), floor[:h].max())
    # Chroma differs most along the moved picture's edges, where the RGB path subsamples
    # pixels already blended with black.
    assert chroma.mean() <= floor[h:].mean() + 0.6, (chroma.mean(), floor[h:].mean())
    assert np.percentile(chroma, 99) <= np.percentile(floor[h:], 99) + 4


@pytest.mark.parametrize("key", [[0, 3.3, -2.7, 1, 0], [0, -12, 6, 1, -10], [0, 16, -4, 1, 12],
                                 [0, 5, 0, 1, 37, 0.7], [0, 0, 0, 1, 90], [0, 200, 50, 1, 25]])
def test_yuv_plane_warp_matches_the_numpy_oracle(key: list) -> None:
    # Each plane through OpenCV against the per-pixel numpy warp composited over the
    # plane's own black (16 luma, 128 chroma), at a size where the 4:2:0 chroma grid has
    # odd offsets and turns of its own.
    w, h = 320, 180
    tl = make_timeline(w, h, [key])
    cut = comp.moved_cut(tl.sequence, 0, (w, h))
    assert cut is not None and cut.scaled == (w, h)
    luma = texture(w, h, seed=7)[..., 0].copy()
    chroma = texture(w // 2, h // 2, seed=8)[..., :2]
    planes = (luma, chroma[..., 0].copy(), chroma[..., 1].copy())
    got = comp.warp_yuv420(planes, cut)
    for plane, moved, fill, f in zip(planes, got, (16, 128, 128), (1, 2, 2), strict=True):
        rgb, alpha = warp_reference(np.repeat(plane[..., None], 3, axis=2),
                                    (cut.centre[0] / f, cut.centre[1] / f), cut.rotation,
                                    (w // f, h // f), cut.opacity)
        want = np.clip(np.rint(fill + (rgb[..., 0] - fill) * alpha), 0, 255)
        mean, worst = diff(moved, want)
        assert mean <= 0.4 and worst <= 2, (key, f, mean, worst)


def test_opencv_warp_matches_the_pillow_transform_it_replaced() -> None:
    # Today's output against the previous release's: Pillow's affine transform of the
    # picture with a 1-pixel border of the fill colour, same coefficients.
    pic = texture(300, 170, seed=9)
    for rotation, dx, dy in ((7.3, 2.25, -1.5), (-33.0, 10.0, 4.75), (90.0, 0.5, 0.5),
                             (0.0, 3.3, -2.7)):
        t = np.deg2rad(rotation)
        cos, sin = float(np.cos(t)), float(np.sin(t))
        coeffs = (cos, sin, dx, -sin, cos, dy)
        for fill, src in ((0, pic), (16, pic[..., 0].copy()), (0, comp._opaque_rgba(pic))):
            got = comp._affine(src, coeffs, (280, 200), fill)
            chans = 1 if src.ndim == 2 else src.shape[2]
            padded = np.full((src.shape[0] + 2, src.shape[1] + 2) + src.shape[2:], fill,
                             np.uint8)
            padded[1:-1, 1:-1] = src
            mode = {1: "L", 3: "RGB", 4: "RGBX"}[chans]
            im = Image.frombuffer(mode, (padded.shape[1], padded.shape[0]), padded, "raw",
                                  mode, 0, 1)
            old = np.asarray(im.transform(
                (280, 200), Image.Transform.AFFINE, (cos, sin, dx + 1, -sin, cos, dy + 1),
                Image.Resampling.BILINEAR, fillcolor=fill if chans == 1 else (fill,) * chans))
            assert got.shape == old.shape
            mean, worst = diff(got, old)
            assert mean <= 0.6 and worst <= 1, (rotation, chans, mean, worst)


def test_export_moves_yuv_planes_of_a_bt709_source(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import timeline.engine.export as export
    from project_store.project import Project
    from timeline.engine.sources import MediaFrameSource
    from timeline.media.decode import VideoDecoder
    from timeline.model import SequenceSettings

    w, h, n = 192, 108, 6
    src = tmp_path / "cam.mp4"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        cc = stream.codec_context
        cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range = 1, 1, 1, 1
        for i in range(n + 1):
            pic = np.roll(texture(w, h, seed=3, noise=10), 3 * i, axis=1)
            frame = av.VideoFrame.from_ndarray(pic, format="rgb24").reformat(
                format="yuv420p", dst_colorspace="ITU709")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    keys = [[0, -10, 4, 0.8, -10, 1.0, "ease_in_out"], [n - 1, 12, -3, 1.2, 14]]

    def read(path: Path) -> list[np.ndarray]:
        decoder = VideoDecoder(path)  # as the editor decodes: BT.709, limited range
        try:
            assert decoder.index.frame_count == n
            return [decoder.frame(k) for k in range(n)]
        finally:
            decoder.close()

    with Project.create(tmp_path / "p.takeline", SequenceSettings(fps=FPS, width=w,
                                                                  height=h)) as p:
        (asset,) = p.import_media([src])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": n})
        p.execute({"op": "set", "item": p.sequence.tracks["V1"].items[0].id,
                   "transform": keys})
        outputs = {}
        for way in ("planes", "rgb"):
            frames = MediaFrameSource({asset.id: asset.probe}, use_proxies=False)
            try:
                with monkeypatch.context() as m:
                    if way == "rgb":
                        m.setattr(export, "moved_cut", lambda *a: None)
                    result = export.export_sequence(p.sequence, tmp_path / f"{way}.mp4",
                                                    PRESETS["h264"], frames=frames,
                                                    audio=None)
                # The fast way: every frame moved in YCbCr, none converted to RGB.
                assert frames.raw_frames == (n if way == "planes" else 0)
                expected = [comp.render_frame(p.sequence, k, frames, alpha=False)
                            for k in range(n)]
            finally:
                frames.close()
            outputs[way] = read(result.path)
    for k in range(n):
        fast, _ = diff(outputs["planes"][k], expected[k])
        slow, _ = diff(outputs["rgb"][k], expected[k])
        # The RGB compositor's frame through one H.264 encode either way: as close.
        assert fast <= slow + 0.5, (k, fast, slow)


# --- the previz plate ---------------------------------------------------------------------


@pytest.mark.parametrize("stages", ["static", "pan:20", "tilt:10", "truck:0.2",
                                    "dolly-in:0.3", "dolly-out:0.3", "orbit:30", "zoom:1.5",
                                    "crane:0.2", "static,handheld:0.6"])
def test_plate_view_matches_the_numpy_path(monkeypatch: pytest.MonkeyPatch,
                                           stages: str) -> None:
    plate = texture(192, 108, seed=5)
    path = build_path(parse_stages(stages), 24, seed=1)
    with monkeypatch.context() as m:
        m.setattr(scene, "_render_plate_view_exact", None)  # must not be needed
        fast = [scene.render_plate_view(plate, path.at(f, 24.0),
                                        reference_focal=path.reference_focal,
                                        distance=path.distance) for f in (0, 11, 23)]
    for f, got in zip((0, 11, 23), fast, strict=True):
        want = plate_view_reference(plate, path.at(f, 24.0), reference_focal=path.reference_focal,
                                    distance=path.distance)
        mean, worst = diff(got, want)
        assert mean <= 0.6 and worst <= 2, (stages, f, mean, worst)


def test_plate_views_partly_or_wholly_away_from_the_plate() -> None:
    plate = texture(192, 108, seed=5)
    for cam in (CameraState(pan=180), CameraState(pan=80), CameraState(tilt=70)):
        got = scene.render_plate_view(plate, cam, reference_focal=35, distance=4)
        want = plate_view_reference(plate, cam, reference_focal=35, distance=4)
        assert np.array_equal(got, want)
    assert not scene.render_plate_view(plate, CameraState(pan=180), reference_focal=35,
                                       distance=4).any()
