"""The demo project: media synthesised on the spot, cut into a short sequence.

Used by ``takeline demo PROJECT`` and by ``make run`` (which opens it in the editor). Nothing
here is downloaded or bundled: the colour bars, tone/click track and reference still are
written by ``services.demo_media`` so the demo works offline on any machine.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from project_store.project import Project
from services.demo_media import (
    write_color_bars_video,
    write_reference_still,
    write_tone_and_clicks_wav,
)
from timeline.model import SequenceSettings

DEMO_FPS = Fraction(24000, 1001)
DEMO_SIZE = (1280, 720)


def demo_media_dir(project_path: Path) -> Path:
    return project_path.with_name(project_path.name + ".media") / "demo-sources"


def build_demo(project_path: str | Path) -> Project:
    """Create ``project_path`` with synthesised media and a few edits; returns it open."""
    project_path = Path(project_path)
    media_dir = demo_media_dir(project_path)
    media_dir.mkdir(parents=True, exist_ok=True)
    bars_a = write_color_bars_video(media_dir / "bars_a.mp4", seconds=8, fps=DEMO_FPS,
                                    size=DEMO_SIZE, label="A")
    bars_b = write_color_bars_video(media_dir / "bars_b.mp4", seconds=6, fps=DEMO_FPS,
                                    size=DEMO_SIZE, label="B")
    clicks = write_tone_and_clicks_wav(media_dir / "tone_and_clicks.wav", seconds=20,
                                       fps=DEMO_FPS)
    still = write_reference_still(media_dir / "reference.png", size=DEMO_SIZE, seed=7)

    project = Project.create(
        project_path,
        SequenceSettings(name="Demo", fps=DEMO_FPS, width=DEMO_SIZE[0], height=DEMO_SIZE[1]),
        name=project_path.stem,
    )
    try:
        a, b, wav, ref = (x.id for x in project.import_media([bars_a, bars_b, clicks, still]))
        # Each edit is its own undo step, so the demo also shows a real history.
        project.apply([
            # The bars' tone is their own sound, linked on A2 (split with them).
            {"op": "append", "track": "V1", "asset": a, "source_in": 0, "source_out": 96,
             "audio": "A2"},
            {"op": "append", "track": "V1", "asset": b, "source_in": 12, "source_out": 108,
             "audio": "A2"},
            {"op": "append", "track": "V1", "asset": a, "source_in": 120, "source_out": 180,
             "audio": "A2"},
            {"op": "split", "track": "V1", "at": 144},
            {"op": "add_transition", "track": "V1", "at": 96, "duration": 12},
            {"op": "add_transition", "track": "A2", "at": 96, "duration": 12},
            {"op": "append", "track": "A1", "asset": wav, "source_in": 0, "source_out": 252},
            {"op": "overwrite", "track": "V2", "asset": ref, "source_in": 0, "source_out": 48,
             "at": 24},
            {"op": "add_generated", "track": "V1", "at": 252, "duration": 72,
             "prompt": "slow dolly in on a red house at golden hour, light breeze in the trees",
             "seed": 1234},
            {"op": "add_marker", "at": 96, "name": "Cut to B", "color": "green"},
            {"op": "add_marker", "at": 252, "name": "Generated shot", "color": "purple"},
        ])
    except BaseException:
        project.close()
        raise
    return project
