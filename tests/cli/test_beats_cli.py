"""``takeline beats`` on real music (``../shared/testdata/audio``: Kevin MacLeod's "Vibe Ace",
librosa's own beat-tracking example, whose tempo librosa's tutorial gives as 129.20 BPM),
re-running it, Cut to Beats through ``takeline apply``, and its refusals."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import main
from project_store.project import Project
from timeline.media.audio import AudioReader
from timeline.media.beats import ONSET_AFTER, ONSET_BEFORE, first_sample
from timeline.model import SequenceSettings

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "audio"
VIBE_ACE = TESTDATA / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg"
KNOWN_TEMPO = 129.20  # librosa's tutorial: "Estimated tempo: 129.20 beats per minute"

pytestmark = [
    pytest.mark.skipif(not VIBE_ACE.is_file(), reason=f"needs the shared test data "
                       f"({VIBE_ACE} is absent)"),
]
librosa = pytest.importorskip("librosa", reason="beat tracking needs librosa (a dependency)")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """24 fps; A1: seconds 2-22 of Vibe Ace at frame 24 (clip 1); V1: two generated
    segments cut at frame 100."""
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        [asset] = p.import_media([VIBE_ACE])
        p.apply([{"op": "overwrite", "track": "A1", "asset": asset.id, "source_in": 48,
                  "source_out": 528, "at": 24},
                 {"op": "add_generated", "track": "V1", "at": 24, "duration": 76},
                 {"op": "add_generated", "track": "V1", "at": 100, "duration": 60}])
    return path


def test_beats_of_real_music_land_on_its_beats_and_a_rerun_replaces_them(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Project.open(project, read_only=True) as p:
        music = p.sequence.track("A1").items[0]
    rc, out, err = run(capsys, "beats", str(project), "--item", str(music.id), "--json")
    assert rc == 0, err
    found = json.loads(out)
    assert found["tempo_bpm"] == pytest.approx(KNOWN_TEMPO, rel=0.02)
    frames = [b["frame"] for b in found["beats"]]
    # Every beat on the clip's own frames, about one every 60 / 129.2 * 24 = 11.1 frames.
    assert all(music.start <= f < music.end for f in frames)
    assert 20 * KNOWN_TEMPO / 60 * 0.9 <= len(frames) <= 20 * KNOWN_TEMPO / 60 * 1.05
    # librosa's own tracker over the same 20 s (decoded as Takeline decodes them, at its
    # defaults) puts each beat at most 70 ms after the start of the note ours moved it to
    # (ONSET_BEFORE / ONSET_AFTER), on the sequence frame where media second t of the
    # clip shows: 24 + (t - 2) * 24.
    with AudioReader(VIBE_ACE, sample_rate=22050, channels=1) as reader:
        y = reader.read(first_sample(48, 22050, Fraction(24)), 20 * 22050)[:, 0]
    _tempo, theirs = librosa.beat.beat_track(y=y, sr=22050, trim=False)
    times = [t for t in librosa.frames_to_time(theirs, sr=22050)
             if frames[0] <= 24 + t * 24 <= frames[-1]]
    assert len(times) >= len(frames) - 2
    for t in times:
        window = range(math.floor(24 + (t - ONSET_BEFORE) * 24 + 0.5),
                       math.floor(24 + (t + ONSET_AFTER) * 24 + 0.5) + 1)
        assert any(f in window for f in frames), (t, frames)
    with Project.open(project, read_only=True) as p:
        markers = sorted((m for m in p.sequence.markers.values() if m.is_beat),
                         key=lambda m: m.frame)
        assert [m.frame for m in markers] == frames
        assert {m.item for m in markers} == {music.id}
        assert sorted(m.id for m in markers) == found["markers"]
    # Again: the clip's beats are replaced, not doubled; undo brings back the first ones.
    rc, out, err = run(capsys, "beats", str(project), "--item", str(music.id))
    assert rc == 0, err
    assert out.startswith(f"Beat Markers: {len(frames)} beats on clip {music.id} (")
    with Project.open(project, read_only=True) as p:
        assert sorted(m.frame for m in p.sequence.markers.values() if m.is_beat) == frames
        assert not set(found["markers"]) & set(p.sequence.markers)


def test_cut_to_beats_through_apply_reports_what_moved(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Project.open(project) as p:
        music = p.sequence.track("A1").items[0]
        first, second = (i.id for i in p.sequence.track("V1"))
        # Beats a little off the cut at 100 and the end at 160 (what the tracker would
        # put there is tested above; here the cut moves to what is marked).
        p.execute({"op": "set_beats", "item": music.id, "frames": [36, 103, 163]})
    edits = tmp_path / "cut.json"
    edits.write_text(json.dumps([{"op": "cut_to_beats", "items": [first, second]}]))
    rc, out, err = run(capsys, "apply", str(project), str(edits))
    assert rc == 0, err
    assert out.splitlines()[0] == "Cut to Beats: 3 cuts moved"
    with Project.open(project, read_only=True) as p:
        assert [(i.start, i.end) for i in p.sequence.track("V1")] == [(36, 103), (103, 163)]


def test_beats_refuses_what_it_cannot_listen_to(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Project.open(project, read_only=True) as p:
        segment = p.sequence.track("V1").items[0].id
        before = p.sequence.snapshot()
    for item, says in ((str(segment), "beats are found in clips of music"),
                       ("999", "No item with id 999")):
        rc, out, err = run(capsys, "beats", str(project), "--item", item)
        assert rc == 1 and out == ""
        assert err.startswith("takeline: error: ") and says in err
        assert "Traceback" not in err
    with Project.open(project, read_only=True) as p:
        assert p.sequence.snapshot() == before
