"""Timeline interchange with other editors through OpenTimelineIO (``otio_io``)."""

from timeline.interchange.otio_io import (
    ImportPlan,
    ImportReport,
    InterchangeError,
    MediaUnavailable,
    apply_plan,
    default_media_resolver,
    otio_to_operations,
    read_timeline,
    sequence_to_otio,
    write_timeline,
)

__all__ = [
    "ImportPlan",
    "ImportReport",
    "InterchangeError",
    "MediaUnavailable",
    "apply_plan",
    "default_media_resolver",
    "otio_to_operations",
    "read_timeline",
    "sequence_to_otio",
    "write_timeline",
]
