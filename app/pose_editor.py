"""The Pose editor: the selected generated segment's people, posed frame by frame.

The canvas shows the segment's frame (the sequence picture when the segment has a take and
the window can render it, off the UI thread; otherwise the previz plate through the camera)
with every person's COCO-18 skeleton at the current frame in OpenPose colours. Joints drag
with the mouse (the nearest joint within 8 pixels); the release commits. People are added
as a standing T-pose; keys are set, deleted, copied from the previous key, hidden or shown,
and whole tracks imported from OpenPose JSON.

Every committed change is one ``project.execute({"op": "set", "item": id, "poses":
track.to_json()})`` (one undo step); dragging only redraws until the mouse is released.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.keyframe_editor import (
    KeyframeEditor,
    easing_after,
    make_easing_combo,
    preview_size,
    previous_key,
    previz_frame,
)
from app.layouts import group_box
from app.theme import KEY_MARK, PICTURE_BACKDROP, PICTURE_SURROUND, WHITE, joint_colour, with_alpha
from app.viewer import FrameMailbox, ScrubRenderer, to_qimage
from project_store.project import Project
from timeline.conditioning.pose import (
    JOINTS,
    LIMBS,
    Person,
    PoseError,
    PoseKey,
    PoseTrack,
    Skeleton,
)
from timeline.model import GeneratedSegment

HIT_RADIUS = 8.0
JOINT_RADIUS = 4.0
BACKGROUND_WIDTH = 480

# A standing T-pose in units of the frame's height, relative to the hips' midpoint; the
# person faces the camera, so their right side is on the picture's left.
T_POSE: dict[str, tuple[float, float]] = {
    "nose": (0.0, -0.30), "neck": (0.0, -0.22),
    "r_shoulder": (-0.07, -0.22), "r_elbow": (-0.17, -0.22), "r_wrist": (-0.27, -0.22),
    "l_shoulder": (0.07, -0.22), "l_elbow": (0.17, -0.22), "l_wrist": (0.27, -0.22),
    "r_hip": (-0.05, 0.02), "r_knee": (-0.05, 0.17), "r_ankle": (-0.05, 0.32),
    "l_hip": (0.05, 0.02), "l_knee": (0.05, 0.17), "l_ankle": (0.05, 0.32),
    "r_eye": (-0.015, -0.315), "l_eye": (0.015, -0.315),
    "r_ear": (-0.035, -0.305), "l_ear": (0.035, -0.305),
}
PERSON_CENTRES = (0.5, 0.3, 0.7, 0.4, 0.6)


def t_pose(centre_x: float, aspect: float, centre_y: float = 0.5) -> Skeleton:
    """A standing T-pose centred at (``centre_x``, ``centre_y``) of a frame ``aspect`` =
    width / height wide."""
    return Skeleton(tuple((centre_x + dx / aspect, centre_y + dy)
                          for dx, dy in (T_POSE[name] for name in JOINTS)))


def pose_at(track: PoseTrack, person: Person, frame: int) -> tuple[Skeleton | None, bool, bool]:
    """(skeleton, visible, keyed) of ``person`` at ``frame``: the key's pose on a key, else
    the in-between pose (drawn and editable even where the person is hidden)."""
    key = person.key_at(frame)
    if key is not None:
        return key.skeleton, key.visible, True
    shown = replace(person, keys=tuple(replace(k, visible=True) for k in person.keys))
    posed = PoseTrack((shown,)).at(frame)
    skeleton = posed[0][1] if posed else None
    visible = any(pid == person.id for pid, _ in track.at(frame))
    return skeleton, visible, False


class PoseCanvas(QWidget):
    """The frame with the skeletons; joints drag with the left button."""

    person_picked = Signal(int)
    joint_moved = Signal(int, int, float, float)  # person, joint, x, y (normalised), live
    joint_released = Signal(int, int, float, float)  # the drag is over: commit it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(480, 270)
        self.aspect = 16 / 9
        self.image: QImage | None = None
        # (person id, skeleton, visible, keyed)
        self.people: list[tuple[int, Skeleton, bool, bool]] = []
        self.selected: int | None = None
        self._drag: tuple[int, int] | None = None
        self._offset = QPointF()

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    def set_picture(self, picture: np.ndarray | None) -> None:
        self.image = None if picture is None else to_qimage(picture)
        self.update()

    def set_people(self, people: list[tuple[int, Skeleton, bool, bool]]) -> None:
        self.people = people
        self.update()

    def picture_rect(self) -> QRectF:
        w, h = self.width(), self.height()
        if w / max(1, h) > self.aspect:
            pw, ph = h * self.aspect, float(h)
        else:
            pw, ph = float(w), w / self.aspect
        return QRectF((w - pw) / 2, (h - ph) / 2, pw, ph)

    def to_screen(self, joint: tuple[float, float]) -> QPointF:
        r = self.picture_rect()
        return QPointF(r.x() + joint[0] * r.width(), r.y() + joint[1] * r.height())

    def to_normalised(self, p: QPointF) -> tuple[float, float]:
        r = self.picture_rect()
        return (p.x() - r.x()) / r.width(), (p.y() - r.y()) / r.height()

    def joint_position(self, person_id: int, joint: int) -> QPointF:
        """Where a joint is drawn (for tests and scripts)."""
        for pid, skeleton, _v, _k in self.people:
            j = skeleton.joints[joint]
            if pid == person_id and j is not None:
                return self.to_screen(j)
        raise KeyError(f"person {person_id} has no joint {JOINTS[joint]} drawn")

    def hit_joint(self, pos: QPointF) -> tuple[int, int] | None:
        """(person id, joint) nearest to ``pos`` within the hit radius; the selected person
        wins a tie."""
        best, best_d = None, HIT_RADIUS
        for pid, skeleton, _visible, _keyed in self.people:
            for n, joint in enumerate(skeleton.joints):
                if joint is None:
                    continue
                p = self.to_screen(joint)
                d = math.hypot(p.x() - pos.x(), p.y() - pos.y())
                if d < best_d or (d == best_d and pid == self.selected):
                    best, best_d = (pid, n), d
        return best

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        hit = self.hit_joint(event.position())
        if hit is None:
            return
        pid, joint = hit
        skeleton = next(s for p, s, _v, _k in self.people if p == pid)
        j = skeleton.joints[joint]
        assert j is not None
        self._offset = self.to_screen(j) - event.position()
        self._drag = hit
        self.selected = pid
        self.person_picked.emit(pid)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return super().mouseMoveEvent(event)
        x, y = self.to_normalised(event.position() + self._offset)
        self.joint_moved.emit(self._drag[0], self._drag[1], x, y)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        (pid, joint), self._drag = self._drag, None
        x, y = self.to_normalised(event.position() + self._offset)
        self.joint_released.emit(pid, joint, x, y)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), PICTURE_SURROUND)
        r = self.picture_rect()
        p.fillRect(r, PICTURE_BACKDROP)
        if self.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(r, self.image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        width = max(2.0, r.height() / 90)
        for pid, skeleton, visible, keyed in self.people:
            alpha = 255 if visible else 90
            pts = [None if j is None else self.to_screen(j) for j in skeleton.joints]
            for limb, (a, b) in enumerate(LIMBS):
                pa, pb = pts[a], pts[b]
                if pa is None or pb is None:
                    continue
                colour = joint_colour(limb, round(alpha * 0.75))
                pen = QPen(colour, width, Qt.PenStyle.SolidLine if visible
                           else Qt.PenStyle.DashLine)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                p.setPen(pen)
                p.drawLine(pa, pb)
            chosen = pid == self.selected
            outline = QPen(with_alpha(WHITE, alpha), 1.5) if chosen else Qt.PenStyle.NoPen
            for n, pt in enumerate(pts):
                if pt is None:
                    continue
                p.setPen(outline)
                p.setBrush(joint_colour(n, alpha))
                p.drawEllipse(pt, JOINT_RADIUS, JOINT_RADIUS)
            head = pts[0] or pts[1]
            if head is not None:
                p.setPen(with_alpha(WHITE, alpha))
                mark = KEY_MARK if keyed else ""
                hidden = "" if visible else " (hidden)"
                p.drawText(head + QPointF(8, -10), f"{pid}{mark}{hidden}")
        p.end()


class PoseEditor(KeyframeEditor):
    """Edits one segment's pose track; ``edited`` after each committed change."""

    prop = "poses"

    def __init__(self, project: Callable[[], Project], segment_id: int, *,
                 frame_renderer: Callable[[int], Any] | None = None,
                 report: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(project, segment_id, title="Poses", report=report, parent=parent)
        self.frame_renderer = frame_renderer
        self.track = PoseTrack()
        self.selected: int | None = None
        self._scrub: ScrubRenderer | None = None
        self._mailbox = FrameMailbox(self)
        self._mailbox.arrived.connect(self._on_sequence_picture)

        self.canvas = PoseCanvas()
        self.canvas.person_picked.connect(self.select_person)
        self.canvas.joint_moved.connect(self._on_joint_moved)
        self.canvas.joint_released.connect(self._on_joint_released)

        self.people = QListWidget()
        self.people.setMaximumHeight(140)
        self.people.currentItemChanged.connect(self._on_person_row)
        self.add_person_button = QPushButton("Add person")
        self.add_person_button.clicked.connect(self.add_person)
        self.remove_person_button = QPushButton("Remove person")
        self.remove_person_button.clicked.connect(self.remove_person)
        self.keys_label = QLabel()
        self.keys_label.setWordWrap(True)
        self.set_key_button = QPushButton("Set key at frame")
        self.set_key_button.clicked.connect(self.set_key)
        self.delete_key_button = QPushButton("Delete key")
        self.delete_key_button.clicked.connect(self.delete_key)
        self.copy_button = QPushButton("Copy pose from previous key")
        self.copy_button.clicked.connect(self.copy_from_previous)
        self.visible = QCheckBox("Visible at this frame")
        self.visible.toggled.connect(self._visible_toggled)
        self.easing = make_easing_combo()
        self.easing.currentIndexChanged.connect(self._easing_changed)
        self.import_button = QPushButton("Import OpenPose JSON…")
        self.import_button.clicked.connect(self._choose_poses)
        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        right = QVBoxLayout()
        right.addWidget(group_box("People", self.people,
                                  [self.add_person_button, self.remove_person_button]))
        right.addWidget(group_box(
            "Key at this frame", self.keys_label, [self.set_key_button, self.delete_key_button],
            self.copy_button, self.visible,
            [QLabel("Easing to next key"), (self.easing, 1)]))
        right.addWidget(self.import_button)
        right.addStretch(1)
        self._lay_out(self.canvas, right, right_stretch=1, size=(1000, 560))

    # ------------------------------------------------------------------ showing
    def _segment_widgets(self) -> tuple[QWidget, ...]:
        return (self.canvas, self.slider, self.people, self.add_person_button,
                self.import_button)

    def _clear_selection(self) -> None:
        self.selected = None

    def _show_nothing(self) -> None:
        self.track = PoseTrack()
        self.canvas.set_people([])
        self.canvas.set_picture(None)
        self.people.clear()
        self._show_key_controls()

    def _load_segment(self, seg: GeneratedSegment) -> None:
        st = self.project.sequence.settings
        self.canvas.aspect = st.width / max(1, st.height)
        self.track = seg.poses if seg.poses is not None else PoseTrack()
        if self.selected is not None and all(p.id != self.selected for p in self.track.people):
            self.selected = None
        if self.selected is None and self.track.people:
            self.selected = self.track.people[0].id
        self.title.setText(f"<b>Segment {seg.id}</b>: {seg.duration} frames · "
                           f"{len(self.track.people)} "
                           f"{'person' if len(self.track.people) == 1 else 'people'}")

    def _fill_segment(self, seg: GeneratedSegment) -> None:
        self._fill_people()

    def _fill_people(self) -> None:
        self.people.clear()
        for person in self.track.people:
            n = len(person.keys)
            item = QListWidgetItem(f"{person.name or f'Person {person.id}'} "
                                   f"({n} key{'s' if n != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, person.id)
            self.people.addItem(item)
            if person.id == self.selected:
                self.people.setCurrentItem(item)

    def _show_frame(self) -> None:
        """Skeletons and key controls for the current frame."""
        drawn = []
        for person in self.track.people:
            skeleton, visible, keyed = pose_at(self.track, person, self.frame)
            if skeleton is not None:
                drawn.append((person.id, skeleton, visible, keyed))
        self.canvas.selected = self.selected
        self.canvas.set_people(drawn)
        self.frame_label.setText(self.frame_text())
        self._show_key_controls()

    def _person(self) -> Person | None:
        if self.selected is None:
            return None
        return next((p for p in self.track.people if p.id == self.selected), None)

    def _show_key_controls(self) -> None:
        person = self._person()
        key = person.key_at(self.frame) if person else None
        was = self._loading
        self._loading = True
        try:
            self.remove_person_button.setEnabled(person is not None)
            self.set_key_button.setEnabled(person is not None and key is None)
            self.delete_key_button.setEnabled(key is not None)
            self.copy_button.setEnabled(person is not None and self._previous_key(person)
                                        is not None)
            self.visible.setEnabled(person is not None)
            self.easing.setEnabled(key is not None)
            if person is None:
                self.keys_label.setText("Add a person to pose")
                self.visible.setChecked(False)
                return
            _s, visible, _k = pose_at(self.track, person, self.frame)
            self.visible.setChecked(visible)
            frames = ", ".join(str(k.frame) for k in person.keys) or "none"
            self.keys_label.setText(f"Person {person.id} keys at: {frames}")
            if key is not None:
                self.easing.setCurrentIndex(max(0, self.easing.findData(key.easing)))
        finally:
            self._loading = was

    def _previous_key(self, person: Person) -> PoseKey | None:
        return previous_key(person.keys, self.frame)

    def select_person(self, person_id: int) -> None:
        self.selected = person_id
        was = self._loading
        self._loading = True
        try:
            for row in range(self.people.count()):
                if self.people.item(row).data(Qt.ItemDataRole.UserRole) == person_id:
                    self.people.setCurrentRow(row)
        finally:
            self._loading = was
        self.canvas.selected = person_id
        self.canvas.update()
        self._show_key_controls()

    def _on_person_row(self, current: QListWidgetItem | None, _prev: Any = None) -> None:
        if self._loading or current is None:
            return
        self.select_person(int(current.data(Qt.ItemDataRole.UserRole)))

    # background picture
    def render_now(self) -> None:
        super().render_now()
        seg = self.segment()
        if seg is None:
            return
        if self.frame_renderer is not None and seg.takes:
            # The sequence picture the viewer shows, rendered off the UI thread.
            if self._scrub is None:
                self._scrub = ScrubRenderer(self.frame_renderer, self._mailbox)
            self._scrub.request(seg.start + self.frame)
            return
        w, h = preview_size(self.project, BACKGROUND_WIDTH)
        try:
            picture = previz_frame(self.project, seg, self._plates, self.frame,
                                   camera=seg.camera, poses=None, width=w, height=h)
        except (ValueError, np.linalg.LinAlgError):
            picture = None
        self.canvas.set_picture(picture)

    def _on_sequence_picture(self, frame: int, picture: Any) -> None:
        seg = self.segment()
        if seg is not None and picture is not None and frame == seg.start + self.frame:
            self.canvas.set_picture(np.asarray(picture))

    # ------------------------------------------------------------------ edits
    def _moved_skeleton(self, person_id: int, joint: int, x: float,
                        y: float) -> Skeleton | None:
        person = next((p for p in self.track.people if p.id == person_id), None)
        if person is None:
            return None
        skeleton, _visible, _keyed = pose_at(self.track, person, self.frame)
        if skeleton is None:
            return None
        joints = list(skeleton.joints)
        joints[joint] = (round(x, 5), round(y, 5))
        return Skeleton(tuple(joints))

    def _on_joint_moved(self, person_id: int, joint: int, x: float, y: float) -> None:
        moved = self._moved_skeleton(person_id, joint, x, y)
        if moved is None:
            return
        self.canvas.set_people([(pid, moved if pid == person_id else s, v, k)
                                for pid, s, v, k in self.canvas.people])

    def _on_joint_released(self, person_id: int, joint: int, x: float, y: float) -> None:
        moved = self._moved_skeleton(person_id, joint, x, y)
        person = next((p for p in self.track.people if p.id == person_id), None)
        if moved is None or person is None:
            self.refresh()
            return
        key = person.key_at(self.frame)
        if key is not None:
            if key.skeleton == moved:
                self.refresh()
                return
            new = replace(key, skeleton=moved)
        else:
            new = PoseKey(self.frame, moved, True,
                          easing_after(person.keys, self.frame, "linear"))
        self.commit(self.track.with_key(person_id, new))

    def add_person(self) -> bool:
        """A new person standing in a T-pose, keyed at the current frame."""
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        new_id = max((p.id for p in self.track.people), default=0) + 1
        st = self.project.sequence.settings
        centre = PERSON_CENTRES[(new_id - 1) % len(PERSON_CENTRES)]
        person = Person(new_id, f"Person {new_id}",
                        (PoseKey(self.frame, t_pose(centre, st.width / max(1, st.height))),))
        self.selected = new_id
        return self.commit(self.track.with_person(person))

    def remove_person(self) -> bool:
        person = self._person()
        if person is None:
            return False
        self.selected = None
        track = self.track.without_person(person.id)
        return self.commit(track if track.people else None)

    def set_key(self) -> bool:
        """Key the selected person's current (in-between) pose at this frame."""
        person = self._person()
        if person is None:
            self.show_error("Add or select a person first")
            return False
        if person.key_at(self.frame) is not None:
            return False
        skeleton, visible, _keyed = pose_at(self.track, person, self.frame)
        if skeleton is None:
            skeleton = t_pose(0.5, self.canvas.aspect)
        key = PoseKey(self.frame, skeleton, visible,
                      easing_after(person.keys, self.frame, "linear"))
        return self.commit(self.track.with_key(person.id, key))

    def delete_key(self) -> bool:
        person = self._person()
        if person is None or person.key_at(self.frame) is None:
            self.show_error(f"No key at frame {self.frame} to delete")
            return False
        try:
            track = self.track.without_key(person.id, self.frame)
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        return self.commit(track)

    def copy_from_previous(self) -> bool:
        """The pose of the selected person's previous key, copied to this frame."""
        person = self._person()
        previous = self._previous_key(person) if person else None
        if person is None or previous is None:
            self.show_error(f"No key before frame {self.frame} to copy from")
            return False
        return self.commit(self.track.copy_key(person.id, previous.frame, self.frame))

    def _visible_toggled(self, on: bool) -> None:
        if not self._loading:
            self.set_visible(on)

    def set_visible(self, on: bool) -> bool:
        """Show or hide the selected person from this frame (a key holds the change)."""
        person = self._person()
        if person is None:
            return False
        skeleton, visible, _keyed = pose_at(self.track, person, self.frame)
        if visible == on or skeleton is None:
            return False
        key = person.key_at(self.frame)
        if key is None:
            key = PoseKey(self.frame, skeleton, on,
                          easing_after(person.keys, self.frame, "linear"))
        else:
            key = replace(key, visible=on)
        return self.commit(self.track.with_key(person.id, key))

    def _easing_changed(self) -> None:
        if not self._loading:
            self.set_easing(self.easing.currentData())

    def set_easing(self, easing: str) -> bool:
        person = self._person()
        key = person.key_at(self.frame) if person else None
        if person is None or key is None or key.easing == easing:
            return False
        return self.commit(self.track.with_key(person.id, replace(key, easing=easing)))

    def _poses_replaced(self) -> None:
        self.selected = None

    def shutdown(self) -> None:
        if self._scrub is not None:
            self._scrub.close()
            self._scrub = None
        super().shutdown()


__all__ = ["PoseCanvas", "PoseEditor", "pose_at", "t_pose"]
