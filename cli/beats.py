"""The beats command of ``takeline``:

    takeline beats PROJECT --item ID [--json]   find a music clip's beats (librosa) and
                                                put beat markers over it, replacing the
                                                ones found in it before (one undo step)

The markers are snapping targets; ``{"op": "cut_to_beats", "items": [...]}`` through
``takeline apply`` moves the cuts of those items onto them. Failures are one line, exit 1,
the project unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.opening import Failure, open_project
from timeline.time import timecode

COMMANDS = ("beats",)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("beats", help="find a music clip's beats and mark them on the timeline")
    p.add_argument("project", type=Path)
    p.add_argument("--item", type=int, required=True, metavar="ID",
                   help="the clip of music (an audio clip, or a video clip with sound)")
    p.add_argument("--json", action="store_true", help="print the tempo and beats as JSON")


def dispatch(args: argparse.Namespace) -> int:
    # librosa is imported by the tracker only now, so no other command pays for it.
    from services.beats import beat_request
    from timeline.media.beats import BeatTrackingError

    with open_project(args.project) as project:
        request = beat_request(project, args.item)
        print(f"Listening to clip {request.item} ({request.name}) ...", file=sys.stderr)
        try:
            result = request.run()
        except BeatTrackingError as exc:
            raise Failure(str(exc)) from None
        change = project.execute(result.edit)
        fps = project.sequence.fps
        if args.json:
            print(json.dumps({**result.to_json(), "markers": sorted(
                m.id for m in project.sequence.markers.values()
                if m.is_beat and m.item == request.item)}, indent=2))
        else:
            print(change.label)
            frames = result.beats.frames
            shown = ", ".join(timecode(f, fps) for f in frames[:8])
            print(f"First beats at {shown}{' ...' if len(frames) > 8 else ''}")
    return 0
