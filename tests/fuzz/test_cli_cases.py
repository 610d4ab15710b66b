"""Hand-picked hostile inputs to ``takeline`` (issue 14), each refused with one line and
exit 1, no traceback, no hang, the project and the user's files untouched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.fuzz.conftest import (
    FRAMES,
    Run,
    assert_refused,
    dump,
    png_header_only,
    write_edits,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

# (argv after the project, phrase in the error); {p} is the project, {t} the tmp folder.
EXPORT_CASES = [
    (["--range", f"0:{2**63}"], "past the end of the sequence"),
    (["--range", f"{2**62}:{2**63}"], "end of the sequence"),
    (["--range", "2:1"], "--range must look like"),
    (["--size", "20000x20000"], "too large"),
    (["--size", "16386x16"], "too large"),
    (["--crf", "1000"], "from 0 to 51"),
    (["--crf", "-5"], "from 0 to 51"),
    (["--bitrate", "1"], "bit rate"),
    (["--preset", "nope"], "no preset"),
    (["--preset", "prores-422hq", "--crf", "20"], "no constant-quality"),
    (["--codec", "no-such-encoder"], "encoder failed"),
    (["--pix-fmt", "bogus"], "encoder failed"),
]


@pytest.mark.parametrize(("extra", "phrase"), EXPORT_CASES)
def test_export_refusals(cli: Callable[..., Run], project_file: Path, tmp_path: Path,
                         extra: list[str], phrase: str) -> None:
    before = dump(project_file)
    args = ["export", project_file, "-o", tmp_path / "out.mp4", "--preset", "h264", *extra]
    if "--preset" in extra:
        args[4:6] = []
    assert_refused(cli(*args), phrase)
    assert dump(project_file) == before
    assert not list(tmp_path.glob("*out.mp4*"))  # no file, no half file


def test_png_sequence_never_deletes_a_users_folder(cli: Callable[..., Run],
                                                   project_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "stills"
    (folder / "keep").mkdir(parents=True)
    (folder / "keep" / "a.txt").write_text("a")
    (folder / "b.png").write_bytes(b"b")
    for extra in ([], ["--overwrite"]):
        r = cli("export", project_file, "-o", folder, "--preset", "png-sequence", *extra)
        assert_refused(r, "already holds other files")
    assert (folder / "keep" / "a.txt").read_text() == "a"
    assert (folder / "b.png").read_bytes() == b"b"
    assert sorted(p.name for p in folder.iterdir()) == ["b.png", "keep"]


def test_an_existing_file_is_replaced_only_with_overwrite(cli: Callable[..., Run],
                                                          project_file: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    out.write_bytes(b"the user's film")
    assert_refused(cli("export", project_file, "-o", out, "--preset", "h264"),
                   "already exists; pass --overwrite")
    assert out.read_bytes() == b"the user's film"
    r = cli("export", project_file, "-o", out, "--preset", "h264", "--overwrite", "--json")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["frames"] == FRAMES
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == FRAMES
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_in_out_far_past_the_end_exports_to_the_end(cli: Callable[..., Run],
                                                    project_file: Path,
                                                    tmp_path: Path) -> None:
    edits = write_edits(tmp_path / "io.json",
                        [{"op": "set_in_out", "in_point": 1, "out_point": 10**12}])
    assert cli("apply", project_file, edits).rc == 0
    r = cli("export", project_file, "-o", tmp_path / "io.mp4", "--preset", "h264", "--json")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["frames"] == FRAMES - 1  # [1, end of the sequence)
    edits = write_edits(tmp_path / "io2.json",
                        [{"op": "set_in_out", "in_point": 10**11, "out_point": 10**12}])
    assert cli("apply", project_file, edits).rc == 0
    before = dump(project_file)
    assert_refused(cli("export", project_file, "-o", tmp_path / "io2.mp4", "--preset", "h264"),
                   "at or after the end")
    assert dump(project_file) == before


GENERATE_CASES = [
    (["--steps", "0"], "steps must be"),
    (["--guidance", "nan"], "guidance must be a finite number"),
    (["--guidance", "inf"], "guidance must be a finite number"),
    (["--dtype", "bogus"], "dtype must be one of"),
    (["--device", "cuda"], "device and dtype do not apply"),
    (["--device", "tpu"], "device must be"),
    (["--size", "30000x30000"], "too large"),
    (["--takes", "0"], "takes must be"),
    (["--takes", "100000"], "takes must be"),
    (["--segment", "999"], "999"),
]


@pytest.mark.parametrize(("extra", "phrase"), GENERATE_CASES)
def test_generate_refusals(cli: Callable[..., Run], project_file: Path, extra: list[str],
                           phrase: str) -> None:
    before = dump(project_file)
    args = ["generate", project_file, "--segment", "1", *extra]
    if "--segment" in extra:
        args[2:4] = []
    assert_refused(cli(*args), phrase)
    assert dump(project_file) == before  # no job row, no take


def test_generate_refuses_a_huge_first_frame_before_decoding(cli: Callable[..., Run],
                                                             project_file: Path,
                                                             tmp_path: Path) -> None:
    big = png_header_only(tmp_path / "huge.png", 16_000 * 2, 16_000)
    before = dump(project_file)
    assert_refused(cli("generate", project_file, "--segment", "1", "--first-frame", big),
                   "too large a picture")
    assert dump(project_file) == before


def _deep_group(depth: int) -> str:
    return '[{"op": "group", "steps": ' * depth + "[]" + "}]" * depth


APPLY_CASES = [
    ({"op": "add_marker", "at": 3}, "holds one object"),
    ('{"op": "split"', "not valid JSON"),
    ("42", "holds a JSON int"),
    ([{"op": "trim", "item": 1, "side": "out", "delta": 2**63 - 1}], "2^53-1"),
    ([{"op": "trim", "item": 1, "side": "out", "delta": 2**63 - 1, "ripple": True}], "2^53-1"),
    ([{"op": "move", "item": 1, "track": "V1", "at": 2**63 - 2}], "2^53-1"),
    ([{"op": "move", "item": 1, "track": "V1", "at": 2**64}], "a whole number"),
    ([{"op": "add_generated", "track": "V1", "at": 2**53, "duration": 5}], "2^53-1"),
    ([{"op": "add_marker", "at": 2**62}], "2^53-1"),
    ([{"op": "set_in_out", "out_point": 2**60}], "2^53-1"),
    ('[{"op": "add_marker", "at": 2, "name": "\\ud800"}]', "not valid text"),
    ('[{"op": "set", "item": 1, "opacity": NaN}]', "finite number"),
    (_deep_group(5000), "nested too deeply"),
    (_deep_group(100), "nested more than"),
    ([{"op": "group", "steps": [{"op": "group", "steps": []}]}], "nested"),
    ([{"op": "no_such_op"}], "Unknown operation"),
    ([[1, 2]], '"op" field'),
    ([{"op": "undo", "x": 1}], "takes no parameters"),
]


@pytest.mark.parametrize(("edits", "phrase"), APPLY_CASES)
def test_apply_refusals(cli: Callable[..., Run], project_file: Path, tmp_path: Path,
                        edits: object, phrase: str) -> None:
    before = dump(project_file)
    path = write_edits(tmp_path / "edits.json", edits)
    assert_refused(cli("apply", project_file, path), phrase)
    assert dump(project_file) == before


def test_apply_refuses_an_edit_file_that_is_not_utf8(cli: Callable[..., Run],
                                                     project_file: Path,
                                                     tmp_path: Path) -> None:
    before = dump(project_file)
    path = tmp_path / "edits.json"
    path.write_bytes(b'[{"op": "add_marker", "at": 2, "name": "\xff\xfe"}]')
    assert_refused(cli("apply", project_file, path), "not UTF-8")
    assert dump(project_file) == before


def _damaged_moov(path: Path) -> Path:
    """An MP4 with video and sound whose video trak box type is overwritten: FFmpeg then
    drops the video track and sees a sound-only file."""
    with av.open(str(path), "w", format="mp4") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=48000, layout="stereo")
        for i in range(12):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8),
                                           format="rgb24")
            f.pts = i
            for p in v.encode(f):
                c.mux(p)
        for i in range(24):
            af = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp",
                                            layout="stereo")
            af.sample_rate, af.pts = 48000, i * 1024
            for p in a.encode(af):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    data = bytearray(path.read_bytes())
    at = data.index(b"trak", data.index(b"moov"))
    data[at] = 0xFF
    path.write_bytes(bytes(data))
    with av.open(str(path)) as c:  # the premise: FFmpeg alone reads it as sound only
        assert not c.streams.video and c.streams.audio
    return path


def test_import_refusals(cli: Callable[..., Run], project_file: Path, tmp_path: Path) -> None:
    weird = tmp_path / os.fsdecode(b"clip-\xff\xfe.mp4")
    weird.write_bytes(b"not media")
    cases = [
        (_damaged_moov(tmp_path / "damaged.mp4"), "moov box) is damaged"),
        (weird, "Cannot import 'clip-\\xff\\xfe.mp4'"),  # its name shown, escaped
        (Path("/dev/null"), "it is a device"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing.mp4", "no such file"),
        (png_header_only(tmp_path / "huge.png", 40_000, 40_000), "Cannot import"),
    ]
    before = dump(project_file)
    for path, phrase in cases:
        assert_refused(cli("import", project_file, path), phrase)
    assert dump(project_file) == before


def test_frame_refusals(cli: Callable[..., Run], project_file: Path, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "keep").write_text("k")
    before = dump(project_file)
    for args, phrase in (
            (["0", "-o", tmp_path / "folder"], "it is a folder"),
            ([str(2**63), "-o", tmp_path / "f.png"], "2^53-1"),
            (["0", "-o", tmp_path / "f.png", "--size", "20000x20000"], "too large"),
    ):
        assert_refused(cli("frame", project_file, *args), phrase)
    assert (tmp_path / "folder" / "keep").read_text() == "k"
    assert dump(project_file) == before


def test_frame_replaces_an_existing_png_only_with_overwrite(
        cli: Callable[..., Run], project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "still.png"
    out.write_bytes(b"the user's still")
    assert_refused(cli("frame", project_file, "0", "-o", out), "already exists; pass --overwrite")
    assert out.read_bytes() == b"the user's still"
    target = tmp_path / "target.txt"
    target.write_text("t")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    for extra in ([], ["--overwrite"]):
        assert_refused(cli("frame", project_file, "0", "-o", link, *extra),
                       "not a regular file")
    assert target.read_text() == "t" and link.is_symlink()
    r = cli("frame", project_file, "0", "-o", out, "--overwrite")
    assert r.rc == 0, r.err
    assert out.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir() if "still" in p.name) == ["still.png"]


def test_new_refuses_sizes_nothing_could_render(cli: Callable[..., Run],
                                                tmp_path: Path) -> None:
    for extra, phrase in ((["--size", "20000x20000"], "too large"),
                          (["--sample-rate", str(10**12)], "sample rate")):
        assert_refused(cli("new", tmp_path / "n.takeline", *extra), phrase)
        assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_importing_a_fifo_is_refused_without_opening_it(project_file: Path,
                                                        tmp_path: Path) -> None:
    """In a real process with a deadline: opening the pipe would block forever."""
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    before = dump(project_file)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "cli", "import", str(project_file), str(fifo)],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, env=env)
    assert_refused(Run(proc.returncode, proc.stdout, proc.stderr), "named pipe (FIFO)")
    assert dump(project_file) == before


def test_fuzz_project_is_what_the_cases_assume(project_file: Path) -> None:
    from project_store.project import Project

    with Project.open(project_file) as p:
        assert p.sequence.duration_frames == FRAMES
        assert p.sequence.fps == Fraction(24)
    assert shutil.which(sys.executable)
