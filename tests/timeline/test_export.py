"""Every preset's output read back with PyAV: codec, pixel format, frame count, exact rate,
audio sample count, and that frame N of the file is the rendered frame N."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from cli.main import main as cli
from project_store.project import Project
from services.demo_media import read_frame_index, write_color_bars_video
from timeline.engine.compositor import render_frame
from timeline.engine.export import (
    PRESETS,
    ExportCancelled,
    ExportError,
    available_presets,
    export_sequence,
)
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.media.images import read_png
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)
RATE = 48000
SIZE = (320, 180)
FRAMES = 12


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    d = tmp_path_factory.mktemp("export")
    clip = write_color_bars_video(d / "a.mp4", seconds=2, fps=FPS, size=SIZE)
    p = Project.create(d / "e.takeline", SequenceSettings(fps=FPS, width=SIZE[0],
                                                         height=SIZE[1], sample_rate=RATE))
    p.import_media([clip])
    p.apply([
        {"op": "append", "track": "V1", "asset": 1, "source_in": 3, "source_out": 30},
        {"op": "add_generated", "track": "V2", "at": 20, "duration": 5, "prompt": "fog"},
    ])
    yield p
    p.close()


def sources(p: Project) -> tuple[MediaFrameSource, MediaAudioSource]:
    probes = {a.id: a.probe for a in p.assets.values()}
    return (MediaFrameSource(probes, use_proxies=False),
            MediaAudioSource(probes, sample_rate=RATE))


def run(p: Project, preset: str, out: Path, **kw: object):  # type: ignore[no-untyped-def]
    frames, sound = sources(p)
    try:
        return export_sequence(p.sequence, out, PRESETS[preset], frames=frames, audio=sound,
                               first=0, end=FRAMES, **kw)  # type: ignore[arg-type]
    finally:
        frames.close()
        sound.close()


EXPECT = {
    "h264": ("h264", "yuv420p", "aac"),
    "h265": ("hevc", "yuv420p", "aac"),
    "prores-422hq": ("prores", "yuv422p10le", "pcm_s24le"),
    "prores-4444": ("prores", None, "pcm_s24le"),  # FFmpeg decodes 4444 as yuva444p12le
    "dnxhr-hq": ("dnxhd", "yuv422p", "pcm_s24le"),
}


@pytest.mark.parametrize("name", list(EXPECT))
def test_video_presets_read_back_exactly(project: Project, tmp_path: Path, name: str) -> None:
    result = run(project, name, tmp_path / "out")
    codec, pix_fmt, audio_codec = EXPECT[name]
    assert result.path.suffix == PRESETS[name].extension
    with av.open(str(result.path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0]
        assert v.codec_context.name == codec
        if pix_fmt:
            assert v.codec_context.pix_fmt == pix_fmt
        if name == "prores-4444":
            assert "yuva" in v.codec_context.pix_fmt  # alpha kept
        assert v.average_rate == FPS  # 24000/1001 stays exact
        assert (v.width, v.height) == SIZE
        assert a.codec_context.name == audio_codec and a.rate == RATE
        pictures = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert len(pictures) == FRAMES
        frames, _ = sources(project)
        try:
            for n in (0, 5, FRAMES - 1):
                rendered = render_frame(project.sequence, n, frames)[..., :3]
                assert read_frame_index(pictures[n]) == 3 + n
                # Lossy codecs: close to the rendered frame, not equal.
                assert np.abs(pictures[n].astype(int) - rendered).mean() < 4.0
        finally:
            frames.close()
    with av.open(str(result.path)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
    expected = int(FRAMES * RATE / FPS)  # floor(12 * 48000 * 1001 / 24000) = 24024
    if audio_codec.startswith("pcm"):
        assert samples == expected
    else:
        # AAC adds encoder padding at the end (FFmpeg strips the priming).
        assert expected <= samples < expected + 2048
    assert result.audio_samples == expected
    manifest = json.loads(result.sidecar.read_text())
    assert manifest["preset"] == name and manifest["range"] == {"in": 0, "out": FRAMES}
    with av.open(str(result.path)) as c:
        assert json.loads(c.metadata["comment"])["sequence"]["fps"] == "24000/1001"


def test_h264_tags_bt709_and_hevc_is_hvc1(project: Project, tmp_path: Path) -> None:
    with av.open(str(run(project, "h264", tmp_path / "a.mp4").path)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.color_primaries, cc.color_trc, cc.colorspace) == (1, 1, 1)
    with av.open(str(run(project, "h265", tmp_path / "b.mp4").path)) as c:
        assert c.streams.video[0].codec_tag == "hvc1"


def test_png_sequence_is_lossless_with_wav_beside(project: Project, tmp_path: Path) -> None:
    result = run(project, "png-sequence", tmp_path / "pngs")
    files = sorted(result.path.glob("frame_*.png"))
    assert len(files) == FRAMES
    frames, _ = sources(project)
    try:
        for n in (0, 7):
            assert np.array_equal(read_png(files[n]), render_frame(project.sequence, n, frames))
    finally:
        frames.close()
    with av.open(str(result.path / "audio.wav")) as c:
        assert sum(f.samples for f in c.decode(audio=0)) == int(FRAMES * RATE / FPS)


def test_wav_and_range_and_manifest_recipes(project: Project, tmp_path: Path) -> None:
    frames, sound = sources(project)
    try:
        result = export_sequence(project.sequence, tmp_path / "a.wav", PRESETS["wav"],
                                 frames=frames, audio=sound, first=18, end=24)
    finally:
        frames.close()
        sound.close()
    with av.open(str(result.path)) as c:
        assert not c.streams.video
        # floor(24 * 48000 / fps) - floor(18 * 48000 / fps) = 48048 - 36036
        assert sum(f.samples for f in c.decode(audio=0)) == 12012
    assert result.audio_samples == 12012
    segs = result.manifest["generated_segments"]
    assert [(s["prompt"], s["start"]) for s in segs] == [("fog", 20)]


def test_cancel_leaves_no_file(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "c.mp4"
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(ExportCancelled):
        run(project, "h264", out, cancelled=cancelled)
    assert list(tmp_path.iterdir()) == []


def test_bad_range_and_folder(project: Project, tmp_path: Path) -> None:
    frames, sound = sources(project)
    try:
        with pytest.raises(ExportError, match="empty"):
            export_sequence(project.sequence, tmp_path / "x.mp4", PRESETS["h264"],
                            frames=frames, audio=sound, first=10, end=10)
        with pytest.raises(ExportError, match="does not exist"):
            export_sequence(project.sequence, tmp_path / "no" / "x.mp4", PRESETS["h264"],
                            frames=frames, audio=sound)
    finally:
        frames.close()
        sound.close()


def test_nvenc_is_offered_only_when_it_opens() -> None:
    names = {p.name for p in available_presets()}
    assert {"h264", "h265", "prores-422hq", "prores-4444", "dnxhr-hq", "png-sequence",
            "wav"} <= names


def test_export_command(project: Project, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.mp4"
    assert cli(["export", str(project.path), "-o", str(out), "--preset", "h264",
                "--range", "2:8", "--crf", "30", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 6 and Path(summary["path"]).is_file()
    assert cli(["export", str(project.path), "-o", str(out), "--preset", "nope"]) == 1
    assert "no preset 'nope'" in capsys.readouterr().err
    assert cli(["presets"]) == 0
    assert "prores-4444" in capsys.readouterr().out


def test_render_queue_runs_in_order_with_progress_and_cancel(project: Project,
                                                             tmp_path: Path) -> None:
    import threading

    from timeline.engine.background import JobState
    from timeline.engine.render_queue import RenderQueue, output_of

    gate = threading.Event()
    order: list[str] = []

    def job(name: str, preset: str, *, wait: bool = False):  # type: ignore[no-untyped-def]
        def run(progress, cancelled):  # type: ignore[no-untyped-def]
            if wait:
                gate.wait(10)
            order.append(name)
            frames, sound = sources(project)
            try:
                return export_sequence(project.sequence, tmp_path / name, PRESETS[preset],
                                       frames=frames, audio=sound, first=0, end=FRAMES,
                                       progress=progress, cancelled=cancelled)
            finally:
                frames.close()
                sound.close()
        return run

    queue = RenderQueue()
    try:
        first = queue.add("one.mp4", job("one.mp4", "h264", wait=True))
        second = queue.add("two.mov", job("two.mov", "prores-422hq"))
        third = queue.add("three.mp4", job("three.mp4", "h264"))
        queue.cancel(second)  # still queued behind the first
        gate.set()
        assert queue.wait_idle(60)
        assert order == ["one.mp4", "three.mp4"]
        assert first.state is JobState.DONE and first.progress == (FRAMES, FRAMES)
        assert second.state is JobState.CANCELLED and not (tmp_path / "two.mov").exists()
        assert output_of(third) == tmp_path / "three.mp4"

        def failing(progress, cancelled):  # type: ignore[no-untyped-def]
            return export_sequence(project.sequence, tmp_path / "nowhere" / "x.mp4",
                                   PRESETS["h264"], frames=sources(project)[0], audio=None)

        bad = queue.add("bad", failing)
        assert queue.wait_idle(30)
        assert bad.state is JobState.FAILED and "does not exist" in (bad.error or "")
    finally:
        queue.close()


def test_plain_cuts_of_bt709_sources_skip_the_rgb_round_trip(project: Project,
                                                             tmp_path: Path) -> None:
    # Our own h264 export is BT.709-tagged yuv420p: use it as a camera file.
    source = run(project, "h264", tmp_path / "cam.mp4").path
    with Project.create(tmp_path / "p2.takeline", SequenceSettings(
            fps=FPS, width=SIZE[0], height=SIZE[1], sample_rate=RATE)) as p2:
        (asset,) = p2.import_media([source])
        p2.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 2,
                    "source_out": 10})
        frames, sound = sources(p2)
        try:
            result = export_sequence(p2.sequence, tmp_path / "again.mp4", PRESETS["h264"],
                                     frames=frames, audio=sound)
            assert frames.raw_frames == 8  # every frame a plain cut: no RGB conversion
        finally:
            frames.close()
            sound.close()
        with av.open(str(result.path)) as c:
            pictures = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert len(pictures) == 8
        assert [read_frame_index(pic) for pic in pictures] == list(range(5, 13))
        # An untagged source (the synth clip) goes through RGB instead.
        frames, sound = sources(project)
        try:
            export_sequence(project.sequence, tmp_path / "rgb.mp4", PRESETS["h264"],
                            frames=frames, audio=None, first=0, end=4)
            assert frames.raw_frames == 0
        finally:
            frames.close()
            sound.close()


def test_plain_cuts_get_the_encoders_frame_types_not_the_sources(tmp_path: Path) -> None:
    # A camera file with a keyframe every other frame and no B-frames. Handed on as
    # decoded, its frames would carry those types and libx264 would follow them (a
    # keyframe every other frame in the export too); the ffmpeg command line lets the
    # encoder choose, and so does export: one keyframe, at the start.
    source = tmp_path / "gop2.mp4"
    with av.open(str(source), "w") as out:
        stream = out.add_stream("libx264", rate=FPS,
                                options={"g": "2", "keyint_min": "1", "bf": "0",
                                         "sc_threshold": "0"})
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        cc = stream.codec_context
        cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range = 1, 1, 1, 1
        rng = np.random.default_rng(4)
        base = rng.integers(0, 256, (SIZE[1], SIZE[0] + 24, 3), dtype=np.uint8)
        for i in range(12):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:, 2 * i:2 * i + SIZE[0]]),
                                               format="rgb24").reformat(
                format="yuv420p", dst_colorspace="ITU709")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with av.open(str(source)) as c:
        assert sum(p.is_keyframe for p in c.demux(video=0) if p.size) == 6
    with Project.create(tmp_path / "p.takeline", SequenceSettings(
            fps=FPS, width=SIZE[0], height=SIZE[1], sample_rate=RATE)) as p:
        (asset,) = p.import_media([source])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": 12})
        frames, _ = sources(p)
        try:
            result = export_sequence(p.sequence, tmp_path / "out.mp4", PRESETS["h264"],
                                     frames=frames, audio=None)
            assert frames.raw_frames == 12  # the decoded frames went to the encoder
        finally:
            frames.close()
    with av.open(str(result.path)) as c:
        keyframes = [p.is_keyframe for p in c.demux(video=0) if p.size]
    assert len(keyframes) == 12 and keyframes[0] and not any(keyframes[1:])
