"""The camera-preset picker the Brief dock and the camera path editor share: a preset with
its amount (the preset's default, in its unit), or a comma-separated row of stages, and
Apply. It builds no path itself: ``applied`` hands the stages to its owner, which knows the
segment's length (and, in the editor, the subject distance and lens to keep)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from timeline.conditioning.camera import PRESETS, CameraError, parse_stages

Stages = list[tuple[str, float | None]]


class CameraPresetPicker(QWidget):
    """``applied(stages)`` on Apply; ``refused(message)`` when the stages do not parse."""

    applied = Signal(object)  # Stages
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        for name, (amount, unit, meaning) in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1,
                                    f"{meaning} (default {amount:g} {unit})".strip(),
                                    Qt.ItemDataRole.ToolTipRole)
        self.amount = QDoubleSpinBox()
        self.amount.setRange(-3600.0, 3600.0)
        self.amount.setDecimals(2)
        self.preset.currentIndexChanged.connect(self._preset_default)
        self.stages = QLineEdit()
        self.stages.setPlaceholderText("or stages, e.g. static,dolly-in:0.5,orbit:90")
        self.stages.setToolTip("Several moves one after another share the segment "
                               "equally; when set, this wins over the preset")
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply)
        self._preset_default()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.preset, 1)
        row.addWidget(self.amount)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.stages, 1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)

    def _preset_default(self) -> None:
        name = self.preset.currentData()
        if name in PRESETS:
            self.amount.setValue(PRESETS[name][0])
            self.amount.setSuffix(f" {PRESETS[name][1]}" if PRESETS[name][1] else "")

    def chosen_stages(self) -> Stages:
        """The stages the fields ask for (the stages text wins); CameraError if it does not
        parse."""
        text = self.stages.text().strip()
        if text:
            return parse_stages(text)
        return [(self.preset.currentData(), self.amount.value())]

    def apply(self) -> None:
        try:
            stages = self.chosen_stages()
        except CameraError as exc:
            self.refused.emit(str(exc))
            return
        self.applied.emit(stages)

    def show_stages(self, labels: Sequence[str]) -> None:
        """Put a preset-built path's stages back in the fields, so Apply after a tweak starts
        from the move the segment has (labels are "name" or "name amount", as build_path
        keeps them); a path not made of presets (from a file or a video) leaves them."""
        stages = [(n, a) for n, _, a in (label.partition(" ") for label in labels)]
        if not stages or any(n not in PRESETS for n, _ in stages):
            return
        if len(stages) == 1:
            name, amount = stages[0]
            self.preset.setCurrentIndex(self.preset.findData(name))
            if amount:
                self.amount.setValue(float(amount))
            self.stages.clear()
        else:
            self.stages.setText(",".join(f"{n}:{a}" if a else n for n, a in stages))


__all__ = ["CameraPresetPicker", "Stages"]
