#!/usr/bin/env bash
# The built bundle, on its own (no project venv on PATH or PYTHONPATH): it prints its
# version, builds the demo project, renders a frame to a PNG, makes a previz take through the
# generation worker started from inside the bundle, writes OTIO and FCP XML (an adapter
# plugin), finds the beats of the demo's music (librosa), and opens the demo in the editor
# offscreen, closing after it has shown a frame.
# Exits non-zero at the first failure.
#
#   packaging/smoke.sh [BUNDLE]      BUNDLE: the one-folder bundle [dist/takeline]
set -euo pipefail

BUNDLE="$(realpath -- "${1:-dist/takeline}")"
EXE="$BUNDLE/takeline"
[ -x "$EXE" ] || { echo "smoke: no bundle at $BUNDLE (make package first)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Nothing from a checkout or venv may leak in: the bundle must carry all it needs.
run() {
    env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
        XDG_RUNTIME_DIR="$WORK" TAKELINE_LOG_DIR="$WORK/log" \
        TAKELINE_DEMO="$WORK/demo/demo.takeline" "$EXE" "$@"
}
step() { echo "smoke: $*"; }

step "version";  run --version
step "demo";     run demo "$WORK/d.takeline" >/dev/null
step "frame";    run frame "$WORK/d.takeline" 100 -o "$WORK/f.png"
python3 - "$WORK/f.png" <<'PY' || { echo "smoke: frame.png is not a 1280x720 PNG" >&2; exit 1; }
import struct, sys
head = open(sys.argv[1], "rb").read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (1280, 720)
PY
step "interchange (OpenTimelineIO adapters found in the bundle)"
run otio export "$WORK/d.takeline" "$WORK/d.otio"
run otio export "$WORK/d.takeline" "$WORK/d.xml"  # the otio-fcp-adapter plugin
grep -q "<xmeml" "$WORK/d.xml"
step "beat markers (librosa and its data in the bundle)"
music="$(run info "$WORK/d.takeline" --json | python3 -c '
import json, sys
info = json.load(sys.stdin)
print(next(i["id"] for t in info["tracks"] if t["kind"] == "audio" for i in t["items"]))')"
run beats "$WORK/d.takeline" --item "$music" | grep -q "beats on clip $music"
step "previz in the worker"
segment="$(run info "$WORK/d.takeline" --json | python3 -c '
import json, sys
info = json.load(sys.stdin)
print(next(i["id"] for t in info["tracks"] for i in t["items"] if i["kind"] == "generated"))')"
run generate "$WORK/d.takeline" --segment "$segment" --seed 1 --in-worker
grep -q "worker started" "$WORK/log/worker.log" || {
    echo "smoke: the worker left no worker.log" >&2; exit 1; }
step "editor (offscreen, --demo, closes after its first frame)"
start=$(date +%s.%N)
run --demo --quit-after 5
echo "smoke: editor ran $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
grep -q "editor started" "$WORK/log/editor.log"
step "OK ($(du -sh "$BUNDLE" | cut -f1) in $BUNDLE)"
