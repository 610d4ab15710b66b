"""Small helpers the window tests share (no Qt import here: they take the widget)."""

from __future__ import annotations

from typing import Any

from project_store.project import Project


def shown(qtbot: Any, widget: Any) -> Any:
    """``widget`` registered with qtbot (closed after the test), shown and exposed."""
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def undo_depth(project: Project) -> int:
    return len(project.timeline.undo_stack)
