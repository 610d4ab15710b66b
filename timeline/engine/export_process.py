"""Export in a separate process, so the editor's UI thread never waits for the GIL.

``export_sequence`` is CPU-bound Python between its C calls (compositing, the audio mix,
muxing); run on a thread of the editor it takes the GIL from the UI thread for tens of
milliseconds at a time. Here the same call runs in a child interpreter
(``python -m timeline.engine.export_process``) with the same inputs, so the file is the
one an in-process export writes (the manifest's ``exported_at`` aside).

The parent writes one pickled :class:`ExportRequest` to the child's stdin; the child writes
pickled messages to its stdout: ``("progress", done, total, elapsed)`` while it renders,
then ``("done", ExportResult)``, ``("failed", kind, message)`` or ``("cancelled",)``.
Cancelling writes a line to the child's stdin; the child stops at its next frame and
removes its temporary file, as an in-process export does. Closing the child's stdin (the
editor went away) cancels it too, so no export outlives the editor. A child that ignores
the cancel for ``cancel_grace_s`` is killed and its temporary file removed; a child that
dies (killed, out of memory) fails the export with the reason, never a half-written file
under the target's name.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from timeline.conform import Conform
from timeline.engine.export import (
    CancelledFn,
    ExportCancelled,
    ExportError,
    ExportProgress,
    ExportResult,
    ExportTargetExists,
    Preset,
    ProgressFn,
    export_sequence,
)
from timeline.media.probe import MediaProbe
from timeline.model import Sequence
from timeline.priority import background_process
from timeline.process_exit import describe_exit

__all__ = ["ExportRequest", "export_in_process", "export_in_subprocess"]

# The package root, so the child imports this very checkout whatever the editor's cwd is.
_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class ExportRequest:
    """Everything one export needs, as plain picklable data (a snapshot, nothing live)."""

    sequence: Sequence
    out: Path
    preset: Preset
    probes: Mapping[int, MediaProbe]  # asset id -> probe (online assets only)
    takes: Mapping[int, tuple[str, Conform]]  # take id -> (take file, conform)
    sample_rate: int
    first: int | None = None
    end: int | None = None
    overwrite: bool = False
    project: Mapping[str, Any] | None = None
    offline: Mapping[int, str] | None = None  # asset id -> name: the "Media Offline" slate
    audio_takes: Mapping[int, str] | None = None  # take id -> sound file (generated audio)


def export_in_process(request: ExportRequest, *, progress: ProgressFn | None = None,
                      cancelled: CancelledFn | None = None) -> ExportResult:
    """The export on the calling thread (what the child runs; the CLI's way)."""
    from timeline.engine.sources import MediaAudioSource, MediaFrameSource

    frames = MediaFrameSource(request.probes, use_proxies=False, takes=request.takes,
                              offline=request.offline)
    sound = MediaAudioSource(request.probes, sample_rate=request.sample_rate,
                             takes=request.audio_takes)
    try:
        return export_sequence(request.sequence, request.out, request.preset, frames=frames,
                               audio=sound, first=request.first, end=request.end,
                               progress=progress, cancelled=cancelled,
                               project=dict(request.project or {}),
                               overwrite=request.overwrite)
    finally:
        frames.close()
        sound.close()


def export_in_subprocess(request: ExportRequest, *, progress: ProgressFn | None = None,
                         cancelled: CancelledFn | None = None, cancel_grace_s: float = 5.0,
                         poll_s: float = 0.05,
                         on_started: Callable[[int], None] | None = None) -> ExportResult:
    """``export_in_process`` in a child process; blocks the calling thread (a render-queue
    worker) until the export is done, and raises what the in-process export would
    (``ExportCancelled``, ``ExportTargetExists``, ``ExportError``). ``on_started`` gets
    the child's process id."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    try:
        # A session of its own: with the kernel's autogroups (most desktop kernels) the
        # scheduler shares the CPU between sessions first, so the encoder's threads then
        # compete with the editor's UI thread as another program would instead of from
        # inside the editor's own share. (A terminal's Ctrl-C no longer reaches the child
        # directly; it stops when the editor closes its stdin, and cleans up.)
        child = subprocess.Popen(
            [sys.executable, "-m", "timeline.engine.export_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,  # our cwd: same paths
            start_new_session=True)
    except OSError as exc:
        raise ExportError(f"Cannot start the export process: {exc}") from None
    assert child.stdin is not None and child.stdout is not None
    if on_started is not None:
        on_started(child.pid)
    inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
    reader = threading.Thread(target=_read_messages, args=(child.stdout, inbox),
                              name="takeline-export-reader", daemon=True)
    reader.start()
    cancel_sent_at: float | None = None
    try:
        try:
            pickle.dump(request, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the child died at start; its exit is reported below
        while True:
            if cancel_sent_at is None and cancelled is not None and cancelled():
                cancel_sent_at = time.monotonic()
                _send_cancel(child)
            if cancel_sent_at is not None and time.monotonic() - cancel_sent_at > cancel_grace_s:
                child.kill()
                child.wait()
                raise ExportCancelled("Export cancelled; nothing was written.")
            try:
                message = inbox.get(timeout=poll_s)
            except queue.Empty:
                continue
            kind = message[0]
            if kind == "progress":
                if progress is not None and cancel_sent_at is None:
                    progress(ExportProgress(*message[1:]))
            elif kind == "done":
                return message[1]
            elif kind == "cancelled":
                raise ExportCancelled("Export cancelled; nothing was written.")
            elif kind == "failed":
                _, error_kind, text, path = message
                if error_kind == "exists":
                    raise ExportTargetExists(Path(path), text)
                raise ExportError(text)
            elif kind == "eof":
                code = child.wait()
                if cancel_sent_at is not None:
                    raise ExportCancelled("Export cancelled; nothing was written.")
                raise ExportError(f"The export process stopped unexpectedly "
                                  f"({describe_exit(code)}); nothing was written.")
    finally:
        _finish(child, request)
        reader.join(timeout=5)  # at EOF now that the child has exited
        child.stdout.close()


def _send_cancel(child: subprocess.Popen[bytes]) -> None:
    try:
        assert child.stdin is not None
        child.stdin.write(b"cancel\n")
        child.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # already gone


def _finish(child: subprocess.Popen[bytes], request: ExportRequest) -> None:
    """Reap the child; if it was killed before cleaning up, remove its temporary file."""
    try:
        if child.stdin is not None:
            child.stdin.close()  # a child still running takes this as a cancel
    except OSError:
        pass
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if child.returncode != 0:
        _remove_partial(request, child.pid)


def _remove_partial(request: ExportRequest, pid: int) -> None:
    # export_sequence's temporary names: the target's (with the preset's extension) and
    # its sidecar's, each tagged with the writing process's id.
    import shutil

    from timeline.engine.export import export_target

    try:
        out = export_target(request.out, request.preset, overwrite=True)
    except ExportError:
        return
    sidecar = out.with_name(out.name + ".takeline.json")
    for tmp in (out.with_name(f".{out.name}.{pid}.partial"),
                sidecar.with_name(f".{sidecar.name}.{pid}.partial")):
        try:
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
        except OSError:
            pass


def _read_messages(stream: IO[bytes], inbox: queue.Queue[tuple[Any, ...]]) -> None:
    while True:
        try:
            message = pickle.load(stream)
        except (EOFError, OSError, pickle.UnpicklingError):
            inbox.put(("eof",))
            return
        inbox.put(message)


# --- the child -------------------------------------------------------------------------


def _child_main() -> int:
    # Messages go to the real stdout; anything a library prints goes to stderr instead.
    messages = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    commands = sys.stdin.buffer
    # The editor comes first: on a busy machine its UI thread gets the CPU before the
    # encoder's threads (the export takes longer only when something else wants it).
    background_process(4)
    request: ExportRequest = pickle.load(commands)
    stop = threading.Event()

    def watch_stdin() -> None:
        commands.readline()  # a "cancel" line, or EOF: the editor is gone
        stop.set()

    threading.Thread(target=watch_stdin, name="takeline-export-cancel", daemon=True).start()
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            pickle.dump(message, messages, protocol=pickle.HIGHEST_PROTOCOL)
            messages.flush()

    def progress(p: ExportProgress) -> None:
        send(("progress", p.done, p.total, p.elapsed))

    try:
        result = export_in_process(request, progress=progress, cancelled=stop.is_set)
    except ExportCancelled:
        send(("cancelled",))
        return 0
    except ExportTargetExists as exc:
        send(("failed", "exists", str(exc), str(exc.path)))
        return 1
    except ExportError as exc:
        send(("failed", "error", str(exc), None))
        return 1
    except Exception as exc:  # reported to the editor as a failed export, not a traceback
        send(("failed", "error", f"The export failed: {type(exc).__name__}: {exc}", None))
        return 1
    send(("done", result))
    return 0


def _exit_child(code: int) -> None:
    """Leave without the interpreter's shutdown: the cancel watcher is still blocked in
    ``stdin.readline()`` holding the reader's lock, and shutdown closing stdin under it is
    a "Fatal Python error: _enter_buffered_busy" abort (seen after successful exports).
    Everything the export wrote is closed by now; only the standard streams are flushed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    _exit_child(_child_main())
