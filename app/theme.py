"""The window's colours and fonts, named by what they mean (one value for each role).

Widgets paint with these names instead of literals, so that "the error red" or "the
selection" is the same colour in every dock, editor and painter. Colours are ``QColor``s
(painters take them as they are; style sheets take ``hex_of(...)``); the fonts are
functions, because a ``QFont`` wants the application to exist first.

The skeleton's limb and joint colours are not here: they are the OpenPose colours the
conditioning renders with (``timeline.conditioning.pose.JOINT_COLORS``), so the overlay
matches what a model is given; ``joint_colour`` turns one into a ``QColor``.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

from timeline.conditioning.pose import JOINT_COLORS


def hex_of(colour: QColor) -> str:
    """``#rrggbb`` for a style sheet or rich text (the alpha is dropped)."""
    return colour.name(QColor.NameFormat.HexRgb)


def with_alpha(colour: QColor, alpha: int) -> QColor:
    """``colour`` at another opacity (0-255), leaving the original as it is."""
    out = QColor(colour)
    out.setAlpha(alpha)
    return out


# --- messages and states ------------------------------------------------------------------

ERROR = QColor(229, 57, 53)  # #e53935: every refusal and failure in text, in every panel
STALE = QColor(198, 40, 40)  # #c62828: the STALE badge (the take was made from another brief)
WHITE = QColor(255, 255, 255)
TRANSPARENT = QColor(0, 0, 0, 0)  # an empty picture to draw an icon into

ERROR_STYLE = f"QLabel {{ color: {hex_of(ERROR)}; }}"  # a label that only shows errors
ERROR_TEXT_STYLE = f"color: {hex_of(ERROR)};"  # a message label while it shows an error
STALE_STYLE = (f"QLabel {{ background: {hex_of(STALE)}; color: white; font-weight: bold; "
               "border-radius: 3px; padding: 1px 6px; }")


def error_html(text: str) -> str:
    """``text`` in the error red, for a rich-text label (the caller escapes it if needed)."""
    return f"<span style='color:{hex_of(ERROR)}'>{text}</span>"


# --- text on the dark, hand-painted canvases ----------------------------------------------

TEXT = QColor(240, 240, 240)  # names on clips, ruler labels, the drag label
TEXT_HEADER = QColor(220, 220, 220)  # track names in the timeline's headers
TEXT_LABEL = QColor(200, 200, 200)  # small labels beside handles (camera key frames)
TEXT_DIM = QColor(170, 170, 170)  # an off switch's letter; "No take"
TEXT_MUTED = QColor(150, 150, 150)  # ruler ticks, hints and "nothing to show" messages
TEXT_ON_LIGHT = QColor(20, 20, 20)  # a lit switch's letter

# --- surfaces -----------------------------------------------------------------------------

PICTURE_BACKDROP = QColor(0, 0, 0)  # behind a picture (viewer, camera view, pose picture)
PICTURE_SURROUND = QColor(20, 20, 20)  # around a fitted picture (pose canvas, take preview)
CANVAS = QColor(28, 30, 34)  # the camera editor's top view
CANVAS_GRID = QColor(48, 52, 58)  # its metre grid
TIMELINE_BACKGROUND = QColor(32, 33, 36)
TRACK_ROW = QColor(40, 42, 46)
TRACK_HEADER = QColor(52, 54, 60)
RULER = QColor(24, 25, 28)

# --- overlays: boxes and labels drawn over pictures or clips ------------------------------

OVERLAY_EDGE = QColor(255, 255, 255, 90)  # the rim of a floating box (drag label, inset)
OVERLAY_FILL = QColor(0, 0, 0, 150)  # the viewer's camera inset
LABEL_FILL = QColor(15, 15, 18, 225)  # the timeline's drag label
LABEL_BACKDROP = QColor(0, 0, 0, 120)  # behind a clip name over thumbnails / waveform
TAKES_BADGE = QColor(0, 0, 0, 140)  # a generated segment's "3 takes"
GUIDE_LINE = QColor(255, 255, 255, 150)  # the camera's field of view in the top view

# --- the timeline -------------------------------------------------------------------------

CLIP_VIDEO = QColor(70, 110, 170)
CLIP_AUDIO = QColor(60, 140, 100)
CLIP_STILL = QColor(150, 110, 60)
CLIP_GENERATED = QColor(140, 80, 170)
DISABLED_VEIL = QColor(20, 20, 20, 170)  # over a disabled clip (Shift+E): dimmed
LINK_MARK = QColor(230, 230, 230, 200)  # the bar along a linked clip's bottom edge
SELECTION = QColor(245, 200, 60)  # a selected clip's outline, a selected key's handle
PLAYHEAD = QColor(255, 70, 60)  # the current frame: the playhead, the camera "now"
WAVEFORM = QColor(170, 235, 195)
WAVEFORM_BAND = QColor(20, 40, 30, 170)
GHOST_FILL = QColor(255, 255, 255, 60)  # where a drag would put the item
GHOST_EDGE = QColor(255, 255, 255, 220)
GHOST_REFUSED = with_alpha(ERROR, 230)  # a drag the edit rules refuse
SNAP_LINE = QColor(80, 230, 255)
RANGE_FILL = QColor(90, 140, 220, 70)  # a range being selected
IN_OUT_BAR = QColor(90, 140, 220, 200)  # the in/out range on the ruler
RAZOR_LINE = QColor(255, 255, 255, 200)
TRANSITION_MARK = QColor(255, 255, 255, 200)  # the cross over a transition
SWITCH_BORDER = TEXT_MUTED
SWITCH_OFF = QColor(36, 37, 40)
# A track header's toggle boxes when lit.
SWITCH_ON = {"muted": QColor(230, 170, 60), "solo": QColor(90, 200, 110),
             "locked": QColor(220, 90, 80), "hidden": QColor(120, 160, 230)}
# Track targeting: a targeted track's name plate; the box a source is patched to.
TRACK_TARGETED = QColor(70, 110, 170)
SOURCE_PATCH = QColor(245, 200, 60)
# The colours a marker may have (its ``color`` names one); unknown names paint as blue.
MARKER_COLOURS = {"blue": QColor(80, 140, 255), "green": QColor(80, 200, 110),
                  "red": QColor(230, 80, 80), "purple": QColor(180, 110, 230),
                  "yellow": QColor(230, 210, 70), "orange": QColor(240, 150, 50)}
MARKER_DEFAULT = MARKER_COLOURS["blue"]
BEAT_MARKER = QColor(230, 210, 70, 200)  # a beat found in a music clip: a tick on the ruler


def marker_colour(name: str) -> QColor:
    return MARKER_COLOURS.get(name, MARKER_DEFAULT)


# --- keyframes and the previz scene (camera and pose editors, the viewer's overlay) -------

KEYFRAME = QColor(60, 130, 230)  # a key's handle; a selected one is SELECTION
KEYFRAME_OUTLINE = WHITE
KEY_MARK = "◆"  # after a frame number or a person: there is a key here
SUBJECT_PLATE = QColor(230, 190, 90)  # the plate the camera looks at
CAMERA_PATH = QColor(90, 170, 255)  # the camera's path, sampled every frame
CAMERA_NOW = PLAYHEAD  # the camera and its look direction at the current frame
DIFF_HIGHLIGHT = QColor(255, 196, 0, 90)  # a recipe key that differs between two takes


def joint_colour(index: int, alpha: int = 255) -> QColor:
    """The OpenPose colour of joint (or limb) ``index``."""
    return QColor(*JOINT_COLORS[index], alpha)


# --- fonts --------------------------------------------------------------------------------


def bold_font(base: QFont | None = None) -> QFont:
    """``base`` (the application font by default) in bold: the active take, a differing key."""
    font = QFont(base) if base is not None else QFont()
    font.setBold(True)
    return font


def small_font(base: QFont) -> QFont:
    """The timeline's labels: a point and a half under ``base``, 7 pt at the least."""
    font = QFont(base)
    font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
    return font


def timecode_font(grow: int = 3) -> QFont:
    """The transport's timecode: monospace, ``grow`` points over the default."""
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(font.pointSize() + grow)
    return font
