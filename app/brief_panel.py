"""The window's Brief dock: an inspector for the selected generated segment's conditioning.

It shows and edits what the segment will be generated from: prompt and negative prompt,
reference files with their roles (files dropped from the desktop are added with a role
picked from their kind), the camera path (preset or stages, with its plain-language
description), poses from OpenPose JSON and the linked cast members. The current
conditioning version is shown with a STALE badge when the active take was made from another
one. Every change is one ``project.execute({"op": "set", ...})`` (one undo step, committed
at once), as ``takeline conditioning`` does it; refusals appear in red in the panel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.camera_presets import CameraPresetPicker, Stages
from app.layouts import group_box
from app.segment_editing import (
    EDIT_ERRORS,
    SegmentEditing,
    find_segment,
)
from app.theme import STALE_STYLE
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from project_store.references import store_reference
from services.clip_poses import (
    DEFAULT_TOLERANCE,
    ClipPosesError,
    check_pose_model,
    clip_path,
    describe_report,
    extract_clip_poses,
)
from timeline.conditioning.camera import (
    CameraError,
    build_path,
    describe,
    parse_stages,
)
from timeline.conditioning.references import (
    KIND_ROLES,
    Reference,
    ReferenceAssetError,
    kind_for_path,
)
from timeline.conditioning.shots import Shot, shot_starts
from timeline.model import GeneratedSegment
from timeline.priority import background_thread

# The role a dropped file gets from its kind (change it afterwards in the role combo).
DROP_ROLES = {"image": "character", "video": "motion", "audio": "audio"}
BRIEF_ERRORS = (ReferenceAssetError, *EDIT_ERRORS)


class ElidedLabel(QLabel):
    """A label that shrinks with its row and elides the middle of a long file name."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._full = text
        self.setMinimumWidth(40)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle,
                                                   max(10, self.width())))

    def full_text(self) -> str:
        return self._full


class ReferenceList(QListWidget):
    """The reference slots; accepts files dragged from the desktop or a file manager."""

    files_dropped = Signal(list)  # list[str] of local paths

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QListWidget.DragDropMode.DropOnly)
        self.setToolTip("Drop pictures, clips or audio here to add them as references")

    @staticmethod
    def _local_files(mime: QMimeData) -> list[str]:
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        # QAbstractItemView refuses drops its model does not know; files are ours to take.
        if self._local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = self._local_files(event.mimeData())
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(files)


# Reference files are copied into the project's media store (hashed on the way). Up to
# this many bytes in one go that is a few tens of ms; more is copied on a thread.
BIG_COPY_BYTES = 32 << 20


def _store_references(project: Project, items: list[tuple[str | Path, str]]
                      ) -> tuple[list[Reference], list[str]]:
    """Copy files into the media store (files only, no rows: safe on a thread)."""
    added: list[Reference] = []
    problems: list[str] = []
    for path, role in items:
        try:
            added.append(store_reference(project, path, role))
        except BRIEF_ERRORS as exc:
            problems.append(str(exc))
    return added, problems


class BriefPanel(SegmentEditing, QWidget):
    edited = Signal()  # an undoable edit was committed: the window refreshes
    edit_errors = BRIEF_ERRORS
    # (project, segment id, stored references, problems) from a copy thread, to the UI.
    _stored = Signal(object, int, object, object)
    # (project, segment id, pose track or None, report or error) from a pose-reading thread.
    _poses_read = Signal(object, int, object, str)

    def __init__(self, project: Callable[[], Project], *,
                 report: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_segment_editing(project, None, report)
        self._loading = False
        self.big_copy_bytes = BIG_COPY_BYTES
        self.copies_running = 0
        self._stored.connect(self._on_stored)

        self.title = QLabel("Select a generated segment")
        self.title.setWordWrap(True)
        self.version = QLabel()
        self.version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stale_badge = QLabel("STALE")
        self.stale_badge.setStyleSheet(STALE_STYLE)
        self.stale_badge.setToolTip("The active take was made from another version of this "
                                    "brief; generate again to match it")
        self.stale_badge.hide()

        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("Describe the shot…")
        self.negative = QLineEdit()
        self.negative.setPlaceholderText("What to avoid…")
        for line in (self.prompt, self.negative):
            line.editingFinished.connect(self.commit_prompts)

        # References
        self.references = ReferenceList()
        self.references.setMinimumHeight(60)
        self.references.setMaximumHeight(150)
        # Rows fit the dock's width (names elide) instead of scrolling sideways.
        self.references.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.references.files_dropped.connect(self.add_reference_files)
        self.add_ref_button = QPushButton("Add reference…")
        self.add_ref_button.clicked.connect(self._choose_reference)

        # Camera
        self.camera_picker = CameraPresetPicker()
        self.camera_picker.applied.connect(self._apply_camera)
        self.camera_picker.refused.connect(self.show_error)
        self.camera_clear = QPushButton("Clear")
        self.camera_clear.clicked.connect(self.clear_camera)
        self.camera_text = QLabel("No camera move")
        self.camera_text.setWordWrap(True)
        self.camera_edit = QPushButton("Edit path…")
        self.camera_edit.setToolTip("Open the camera path editor: a top view with draggable "
                                    "keys, the previz through the camera and the keys' easing")
        self.camera_edit.clicked.connect(self.open_camera_editor)

        # Poses
        self.pose_import = QPushButton("Import OpenPose JSON…")
        self.pose_import.clicked.connect(self._choose_poses)
        self.pose_clear = QPushButton("Clear")
        self.pose_clear.clicked.connect(self.clear_poses)
        self.pose_text = QLabel("No poses")
        self.pose_from_clip = QPushButton("Poses from Clip…")
        self.pose_from_clip.setToolTip(
            "Read the poses of the people in a reference video with the installed pose "
            "model (`takeline models list`), keyed as sparsely as a 4 px tolerance allows")
        self.pose_from_clip.clicked.connect(self._choose_pose_clip)
        # The folder of the pose model's .onnx files; None: the installed one.
        self.pose_model_dir: Path | None = None
        self.pose_reads_running = 0
        self._poses_read.connect(self._on_poses_read)
        self.pose_edit = QPushButton("Edit poses…")
        self.pose_edit.setToolTip("Open the pose editor: drag joints over the frame, add "
                                  "people and keys")
        self.pose_edit.clicked.connect(self.open_pose_editor)
        # The editor windows, made when first opened; they follow the selected segment.
        self.camera_editor: Any = None
        self.pose_editor: Any = None
        # Renders a sequence frame (the viewer's picture) for the pose editor's background;
        # the window sets it. Called off the UI thread.
        self.frame_renderer: Callable[[int], Any] | None = None

        # Cast
        self.cast = QListWidget()
        self.cast.setMinimumHeight(60)
        self.cast.setMaximumHeight(160)
        self.cast.itemChanged.connect(self._cast_toggled)
        self.new_cast_button = QPushButton("New cast member…")
        self.new_cast_button.clicked.connect(self._new_cast_member)

        # Shots: one segment divided into shots, generated as one job (first-frame
        # continuity) and laid out as one segment per shot.
        self.shots = QListWidget()
        self.shots.setMinimumHeight(48)
        self.shots.setMaximumHeight(140)
        self.shots.setToolTip("Double-click a shot to edit its prompt")
        self.shots.itemChanged.connect(self._shot_prompt_edited)
        self.shot_cut = QPushButton("Cut Shot at Playhead")
        self.shot_cut.setToolTip("Divide the shot under the playhead in two; generating "
                                 "then makes every shot in one job and lays them out as "
                                 "clips with real cuts")
        self.shot_cut.clicked.connect(self._cut_at_playhead)
        self.shot_clear = QPushButton("One Shot")
        self.shot_clear.clicked.connect(self.clear_shots)
        self.shot_text = QLabel("")
        self.shot_text.setWordWrap(True)
        # The timeline's playhead (sequence frame); the window sets it.
        self.playhead: Callable[[], int] | None = None

        self._build_layout()
        self.show_segment(None)

    def _build_layout(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self.version, 1)
        head.addWidget(self.stale_badge)
        form = QFormLayout()
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)

        refs = group_box("References", self.references, self.add_ref_button)
        cam = group_box("Camera", self.camera_picker, [self.camera_clear, self.camera_edit],
                     self.camera_text)
        poses = group_box("Poses", [(self.pose_import, 1), self.pose_clear, self.pose_edit],
                       [(self.pose_from_clip, 1)], self.pose_text)
        cast = group_box("Cast", self.cast, self.new_cast_button)
        shots = group_box("Shots", self.shots, [(self.shot_cut, 1), self.shot_clear],
                          self.shot_text)

        self.setMinimumWidth(320)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(head)
        layout.addWidget(self.error)
        layout.addLayout(form)
        for box in (refs, cam, poses, cast, shots):
            layout.addWidget(box)
        layout.addStretch(1)
        self._editors = [self.prompt, self.negative, self.references, self.add_ref_button,
                         self.camera_picker, self.camera_clear, self.camera_edit,
                         self.pose_import, self.pose_clear, self.pose_edit,
                         self.pose_from_clip, self.cast,
                         self.new_cast_button, self.shots, self.shot_cut, self.shot_clear]

    # ------------------------------------------------------------------ showing
    def show_segment(self, item: Any) -> None:
        seg = item if isinstance(item, GeneratedSegment) else None
        if (seg.id if seg else None) != self.segment_id:
            self.show_error("")
        self.segment_id = seg.id if seg else None
        self.refresh()

    def refresh(self) -> None:
        """Show the segment as the project has it now (after an edit, undo or a new take)."""
        seg = self.segment()
        if seg is None:
            self.segment_id = None
        self._loading = True
        try:
            for w in self._editors:
                w.setEnabled(seg is not None)
            self._show_prompts(seg)
            self._show_version(seg)
            self._show_references(seg)
            self._show_camera(seg)
            self._show_poses(seg)
            self._show_cast(seg)
            self._show_shots(seg)
        finally:
            self._loading = False
        for editor in (self.camera_editor, self.pose_editor):
            if editor is not None:
                editor.set_segment(self.segment_id)

    def _show_prompts(self, seg: GeneratedSegment | None) -> None:
        for line, text in ((self.prompt, seg.prompt if seg else ""),
                           (self.negative, seg.negative_prompt if seg else "")):
            # Keep what the user is typing; otherwise follow the model (undo, other panels).
            if line.text() != text and not (line.isModified() and line.hasFocus()):
                line.setText(text)
                line.setCursorPosition(0)  # show the start of a long prompt
                line.setModified(False)

    def _show_version(self, seg: GeneratedSegment | None) -> None:
        if seg is None:
            self.title.setText("Select a generated segment")
            self.version.setText("")
            self.stale_badge.hide()
            return
        fps = self.project.sequence.fps
        self.title.setText(f"<b>Segment {seg.id}</b> on {seg.track}: {seg.duration} frames "
                           f"({float(seg.duration / fps):.2f} s) · {len(seg.takes)} "
                           f"take{'s' if len(seg.takes) != 1 else ''}")
        try:
            state = GenerationRecords(self.project).staleness(seg.id)
        except BRIEF_ERRORS as exc:
            self.version.setText("Version unknown")
            self.show_error(str(exc))
            self.stale_badge.hide()
            return
        self.version.setText(f"Version <code>{state['current'][:12]}</code>")
        self.version.setToolTip(state["current"])
        self.stale_badge.setVisible(bool(state["stale"]))

    def _show_references(self, seg: GeneratedSegment | None) -> None:
        self.references.clear()
        for index, ref in enumerate(seg.references if seg else ()):
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(f"{ref.source}\nsha256 {ref.sha256}")
            # Two lines: the file's name across the row, then kind, role and Remove.
            row = QWidget()
            outer = QVBoxLayout(row)
            outer.setContentsMargins(4, 2, 4, 2)
            outer.setSpacing(1)
            name = ElidedLabel(f"{index + 1}. {ref.name or ref.sha256[:12]}")
            name.setToolTip(ref.source)
            outer.addWidget(name)
            lay = QHBoxLayout()
            outer.addLayout(lay)
            lay.addWidget(QLabel(ref.kind), 1)
            role = QComboBox()
            for r in KIND_ROLES.get(ref.kind, (ref.role,)):
                role.addItem(r.replace("_", " "), r)
            role.setCurrentIndex(max(0, role.findData(ref.role)))
            role.currentIndexChanged.connect(
                lambda _i, i=index, combo=role: self.set_reference_role(i, combo.currentData()))
            lay.addWidget(role)
            remove = QPushButton("Remove")
            remove.setToolTip(f"Remove {ref.name} from this segment's references")
            remove.clicked.connect(lambda _=False, i=index: self.remove_reference(i))
            lay.addWidget(remove)
            item.setSizeHint(row.sizeHint())
            self.references.addItem(item)
            self.references.setItemWidget(item, row)

    def reference_role_combo(self, index: int) -> QComboBox:
        """The role combo of reference ``index`` (for tests and scripts)."""
        row = self.references.itemWidget(self.references.item(index))
        combo = row.findChild(QComboBox)
        assert combo is not None
        return combo

    def _show_camera(self, seg: GeneratedSegment | None) -> None:
        if seg is None or seg.camera is None:
            self.camera_text.setText("No camera move" if seg else "")
            return
        path = seg.camera
        self.camera_picker.show_stages(path.stages)
        text = describe(path, float(self.project.sequence.fps))
        stages = f" · stages: {', '.join(path.stages)}" if path.stages else ""
        self.camera_text.setText(f"<i>{text}</i><br>{len(path.keys)} keys, subject "
                                 f"{path.distance:g} m{stages}")

    def _show_poses(self, seg: GeneratedSegment | None) -> None:
        if seg is None or seg.poses is None:
            self.pose_text.setText("No poses" if seg else "")
            return
        people = seg.poses.people
        keys = sum(len(p.keys) for p in people)
        self.pose_text.setText(f"{len(people)} {'person' if len(people) == 1 else 'people'}, "
                               f"{keys} key{'s' if keys != 1 else ''}")

    def _show_cast(self, seg: GeneratedSegment | None) -> None:
        self.cast.clear()
        if seg is None:
            return
        for member in sorted(self.project.sequence.cast.values(),
                             key=lambda m: m.name.casefold()):
            n = len(member.references)
            item = QListWidgetItem(f"{member.name} ({member.kind}, {n} "
                                   f"picture{'s' if n != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, member.id)
            item.setToolTip(member.description or member.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if member.id in seg.cast
                               else Qt.CheckState.Unchecked)
            self.cast.addItem(item)

    def _show_shots(self, seg: GeneratedSegment | None) -> None:
        self.shots.clear()
        if seg is None:
            self.shot_text.setText("")
            return
        for i, (shot, at) in enumerate(zip(seg.shots, shot_starts(seg.shots), strict=True)):
            extra = "".join([" · camera" if shot.camera else "",
                             " · poses" if shot.poses else ""])
            item = QListWidgetItem(shot.prompt)
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setToolTip(f"Shot {i + 1}: frames {at}–{at + shot.duration} "
                            f"({shot.duration}){extra}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.shots.addItem(item)
        self.shot_clear.setEnabled(bool(seg.shots))
        if seg.shots:
            self.shot_text.setText(
                f"{len(seg.shots)} shots: " + ", ".join(str(s.duration) for s in seg.shots)
                + " frames. Generate makes them in one job, each shot continuing from the "
                "last frame of the one before, then lays them out as clips.")
        elif seg.shot_of is not None:
            self.shot_text.setText(f"Shot {seg.shot_of[1] + 1} of multi-shot take "
                                   f"{seg.shot_of[0]}: generating regenerates this shot "
                                   "alone, continuing from the clip before it.")
        else:
            self.shot_text.setText("One shot. Put the playhead where a cut goes and press "
                                   "Cut Shot at Playhead.")

    def _cut_at_playhead(self) -> None:
        seg = self.segment()
        if seg is None or self.playhead is None:
            return
        self.cut_shot_at(self.playhead() - seg.start)

    def cut_shot_at(self, frame: int) -> bool:
        """Divide the shot holding segment frame ``frame`` in two there (both keep its
        prompt); one ``set`` edit of the segment's shots."""
        seg = self.segment()
        if seg is None:
            return False
        shots = list(seg.shots) or [Shot(duration=seg.duration, prompt=seg.prompt)]
        if not 0 < frame < seg.duration:
            self.show_error("Put the playhead inside the segment, past its first frame")
            return False
        for i, (shot, at) in enumerate(zip(shots, shot_starts(shots), strict=True)):
            if at < frame < at + shot.duration:
                if shot.camera is not None or shot.poses is not None:
                    self.show_error(f"Shot {i + 1} has its own camera path or poses; set "
                                    "its shots with `takeline shots --from-json` instead")
                    return False
                left = Shot(duration=frame - at, prompt=shot.prompt)
                right = Shot(duration=at + shot.duration - frame, prompt=shot.prompt)
                shots[i:i + 1] = [left, right]
                return self._set(shots=[s.to_json() for s in shots])
            if frame == at:
                self.show_error(f"There is a cut at frame {frame} already")
                return False
        return False

    def set_shot_prompt(self, index: int, prompt: str) -> bool:
        seg = self.segment()
        if seg is None or not 0 <= index < len(seg.shots):
            return False
        shots = [s.to_json() for s in seg.shots]
        if shots[index]["prompt"] == prompt:
            return False
        shots[index]["prompt"] = prompt
        return self._set(shots=shots)

    def _shot_prompt_edited(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        self.set_shot_prompt(int(item.data(Qt.ItemDataRole.UserRole)), item.text())

    def clear_shots(self) -> bool:
        seg = self.segment()
        if seg is None or not seg.shots:
            return False
        return self._set(shots=[])

    # ------------------------------------------------------------------ edits
    def commit_prompts(self) -> bool:
        """Prompt and negative prompt as one edit, when either was changed."""
        seg = self.segment()
        if seg is None or self._loading:
            return False
        props = {k: v for k, v, old in (("prompt", self.prompt.text(), seg.prompt),
                                        ("negative_prompt", self.negative.text(),
                                         seg.negative_prompt)) if v != old}
        if not props:
            return False
        self.prompt.setModified(False)
        self.negative.setModified(False)
        return self._set(**props)

    def _refs(self) -> list[Reference]:
        seg = self.segment()
        return list(seg.references) if seg else []

    def add_reference(self, path: str | Path, role: str) -> bool:
        return self._add_references([(path, role)])

    def add_reference_files(self, paths: Sequence[str | Path]) -> bool:
        """Files dropped on the list (or given by a script): each with the role its kind
        suggests, all in one edit; files that cannot be references are named in the error."""
        items: list[tuple[str | Path, str]] = []
        problems: list[str] = []
        for path in paths:
            try:
                items.append((path, DROP_ROLES[kind_for_path(Path(path).name)]))
            except BRIEF_ERRORS as exc:
                problems.append(str(exc))
        return self._add_references(items, problems)

    def _add_references(self, items: list[tuple[str | Path, str]],
                        problems: list[str] | None = None) -> bool:
        """Copy the files into the media store and add them to the segment in one edit.
        Big files are copied on a thread (True means started; the edit follows)."""
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        problems = list(problems or [])
        size = sum(Path(p).stat().st_size for p, _role in items if Path(p).is_file())
        if size > self.big_copy_bytes:
            self.copies_running += 1
            self.report(f"Copying {len(items)} reference file(s) "
                        f"({size / 2**20:.0f} MiB) into the project…")
            project, seg_id = self.project, seg.id

            def copy() -> None:
                added, failed = _store_references(project, items)
                try:
                    self._stored.emit(project, seg_id, added, problems + failed)
                except RuntimeError:
                    pass  # the panel was deleted meanwhile

            threading.Thread(target=copy, name="reference-copy", daemon=True).start()
            return True
        added, failed = _store_references(self.project, items)
        return self._add_stored(seg.id, added, problems + failed)

    def _on_stored(self, project: object, seg_id: int, added: list[Reference],
                   problems: list[str]) -> None:
        self.copies_running -= 1
        if project is not self.project:  # File > Open while copying: not this one's segment
            self.show_error(f"Another project was opened while {len(added)} reference file(s) "
                            "were copied; they were not added. Drop them again.")
            return
        if self._add_stored(seg_id, added, problems) and added:
            self.report(f"Added {len(added)} reference(s)")

    def _add_stored(self, seg_id: int, added: list[Reference], problems: list[str]) -> bool:
        seg = self.project.sequence.find_item(seg_id)
        ok = False
        if not isinstance(seg, GeneratedSegment):
            problems = [*problems, f"Segment {seg_id} is gone; no reference was added"]
        elif added:
            ok = self._set_on(seg_id, references=[
                r.to_json() for r in [*seg.references, *added]])
        if problems:
            self.show_error("\n".join(problems))
        return ok

    def set_reference_role(self, index: int, role: str) -> bool:
        if self._loading:
            return False
        refs = self._refs()
        if not 0 <= index < len(refs) or refs[index].role == role:
            return False
        old = refs[index]
        refs[index] = Reference(sha256=old.sha256, ext=old.ext, kind=old.kind, role=role,
                                name=old.name, source=old.source,
                                use=old.use if role == "audio" else "")
        return self._set(references=[r.to_json() for r in refs])

    def remove_reference(self, index: int) -> bool:
        refs = self._refs()
        if not 0 <= index < len(refs):
            return False
        del refs[index]
        return self._set(references=[r.to_json() for r in refs])

    def _choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add reference", "",
            "Pictures, clips and audio (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.mp4 "
            "*.mov *.mkv *.webm *.avi *.m4v *.mxf *.wav *.mp3 *.flac *.aac *.m4a *.ogg "
            "*.opus *.aif *.aiff);;All files (*)")
        if not path:
            return
        try:
            kind = kind_for_path(Path(path).name)
        except ReferenceAssetError as exc:
            self.show_error(str(exc))
            return
        roles = list(KIND_ROLES[kind])
        role, ok = QInputDialog.getItem(self, "Reference role", f"Use this {kind} as:",
                                        [r.replace("_", " ") for r in roles],
                                        roles.index(DROP_ROLES[kind]), False)
        if ok:
            self.add_reference(path, role.replace(" ", "_"))

    # camera
    def apply_camera_preset(self, name: str, amount: float | None = None) -> bool:
        return self._apply_camera([(name, amount)])

    def apply_camera_stages(self, text: str) -> bool:
        try:
            stages = parse_stages(text)
        except CameraError as exc:
            self.show_error(str(exc))
            return False
        return self._apply_camera(stages)

    def _apply_camera(self, stages: Stages) -> bool:
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        try:
            path = build_path(stages, seg.duration)
        except CameraError as exc:
            self.show_error(str(exc))
            return False
        return self._set(camera=path.to_json())

    def clear_camera(self) -> bool:
        seg = self.segment()
        return seg is not None and seg.camera is not None and self._set(camera=None)

    def open_camera_editor(self) -> Any:
        """Show the camera path editor for the segment (one window, following the
        selection); returns it."""
        if self.camera_editor is None:
            from app.camera_editor import CameraEditor

            self.camera_editor = CameraEditor(self._project, self.segment_id, report=self.report,
                                              parent=self)
            self.camera_editor.edited.connect(self._editor_edited)
        self.camera_editor.set_segment(self.segment_id)
        self.camera_editor.show()
        self.camera_editor.raise_()
        return self.camera_editor

    def open_pose_editor(self) -> Any:
        """Show the pose editor for the segment; returns it."""
        if self.pose_editor is None:
            from app.pose_editor import PoseEditor

            self.pose_editor = PoseEditor(self._project, self.segment_id,
                                          frame_renderer=self.frame_renderer,
                                          report=self.report, parent=self)
            self.pose_editor.edited.connect(self._editor_edited)
        self.pose_editor.set_segment(self.segment_id)
        self.pose_editor.show()
        self.pose_editor.raise_()
        return self.pose_editor

    def _editor_edited(self) -> None:
        self.refresh()
        self.edited.emit()

    def shutdown_editors(self) -> None:
        """Stop the editors' background work (renders, preview playback): the window is
        closing."""
        for editor in (self.camera_editor, self.pose_editor):
            if editor is not None:
                editor.shutdown()

    # poses
    def _choose_pose_clip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Poses from a reference clip", "",
            "Videos (*.mp4 *.mov *.mkv *.webm *.avi *.m4v);;All files (*)")
        if path:
            self.poses_from_clip(path)

    def poses_from_clip(self, video: str | Path, *,
                        tolerance: float = DEFAULT_TOLERANCE) -> bool:
        """Read the segment's poses from a reference clip on a thread (the detector runs
        in a child process); they replace the segment's poses in one edit when read. A
        missing pose model is shown at once. True means started."""
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        if self.pose_reads_running:
            self.show_error("Poses are being read from a clip already; wait for them")
            return False
        try:
            check_pose_model(self.pose_model_dir)
            clip_path(self.project, video)
        except ClipPosesError as exc:
            self.show_error(str(exc))
            return False
        project, seg_id, model_dir = self.project, seg.id, self.pose_model_dir
        self.pose_reads_running += 1
        self.pose_from_clip.setEnabled(False)
        self.report(f"Reading poses from {Path(video).name}…")

        def read() -> None:
            background_thread()
            try:
                track, report = extract_clip_poses(project, seg, video, model_dir=model_dir,
                                                   tolerance=tolerance)
                result: tuple[Any, str] = (track, describe_report(report))
            except ClipPosesError as exc:
                result = (None, str(exc))
            except Exception as exc:  # shown, never lost on a thread
                result = (None, f"Reading poses failed: {exc}")
            try:
                self._poses_read.emit(project, seg_id, *result)
            except RuntimeError:
                pass  # the panel was deleted meanwhile

        threading.Thread(target=read, name="poses-from-clip", daemon=True).start()
        return True

    def _on_poses_read(self, project: object, seg_id: int, track: Any, message: str) -> None:
        self.pose_reads_running -= 1
        self.pose_from_clip.setEnabled(self.segment() is not None)
        if track is None:
            self.show_error(message)
            return
        if project is not self.project or find_segment(self.project, seg_id) is None:
            self.show_error("The segment is gone (or another project was opened) while its "
                            "poses were read; nothing was changed")
            return
        self._poses_replaced()
        if self._set_on(seg_id, poses=track.to_json()):
            self.report(message)

    def clear_poses(self) -> bool:
        seg = self.segment()
        return seg is not None and seg.poses is not None and self._set(poses=None)

    # cast
    def _cast_toggled(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        self.set_cast_link(int(item.data(Qt.ItemDataRole.UserRole)),
                           item.checkState() == Qt.CheckState.Checked)

    def set_cast_link(self, member_id: int, linked: bool) -> bool:
        seg = self.segment()
        if seg is None:
            return False
        cast = [c for c in seg.cast if c != member_id]
        if linked:
            cast.append(member_id)
        if cast == list(seg.cast):
            return False
        return self._set(cast=cast)

    def _new_cast_member(self) -> None:
        name, ok = QInputDialog.getText(self, "New cast member", "Name:")
        if not ok or not name.strip():
            return
        picture, _ = QFileDialog.getOpenFileName(
            self, f"A picture of {name.strip()} (cancel for none)", "",
            "Pictures (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)")
        self.add_cast_member(name, picture or None)

    def add_cast_member(self, name: str, picture: str | Path | None = None, *,
                        kind: str = "character", description: str = "") -> int | None:
        """Add a member to the sequence's cast (one edit); returns its id."""
        try:
            refs = [store_reference(self.project, picture, "character").to_json()
                    ] if picture else []
            before = set(self.project.sequence.cast)
            self.project.execute({"op": "add_cast", "name": name, "kind": kind,
                                  "description": description, "references": refs})
        except BRIEF_ERRORS as exc:
            self.show_error(str(exc))
            return None
        self.show_error("")
        self.refresh()
        self.edited.emit()
        new = set(self.project.sequence.cast) - before
        return next(iter(new), None)
