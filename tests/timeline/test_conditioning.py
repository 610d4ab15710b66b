"""Conditioning data in the model: camera paths, references, cast ops, versions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from timeline.conditioning.camera import (
    PRESETS,
    CameraError,
    CameraKey,
    CameraPath,
    CameraState,
    Handheld,
    angles_from_rotation,
    build_path,
    describe,
    parse_stages,
    plate_homography,
    rotation_matrix,
)
from timeline.conditioning.references import (
    CastMember,
    Reference,
    ReferenceAssetError,
    check_references,
)
from timeline.conditioning.scene import default_plate, render_plate_view
from timeline.conditioning.version import conditioning_payload, version_id
from timeline.editor import Timeline
from timeline.model import EditError, GeneratedSegment, Sequence, SequenceSettings, Track, TrackInfo

SHA = "ab" * 32


def ref(role: str = "character", kind: str = "image", sha: str = SHA) -> dict:
    return Reference(sha256=sha, ext=".png", kind=kind, role=role, name=f"{role}.png"
                     ).to_json()


# --- camera -------------------------------------------------------------------------------


def test_rotation_conventions() -> None:
    fwd = np.array([0.0, 0.0, 1.0])
    assert rotation_matrix(30, 0, 0) @ fwd == pytest.approx([0.5, 0, math.sqrt(3) / 2])  # right
    assert (rotation_matrix(0, 20, 0) @ fwd)[1] < 0  # tilt up looks towards -y (up)
    for angles in [(10, -5, 3), (-60, 20, -15), (170, 0, 0)]:
        assert angles_from_rotation(rotation_matrix(*angles)) == pytest.approx(angles)


def test_plate_homography_identity_pan_and_zoom() -> None:
    kw = dict(reference_focal=35.0, distance=4.0, width=320, height=180)
    assert plate_homography(CameraState(), **kw) == pytest.approx(np.eye(3), abs=1e-9)
    zoom = plate_homography(CameraState(focal=70.0), **kw)
    # A 2x zoom scales about the centre: the centre stays, a corner moves twice as far.
    c = zoom @ [160, 90, 1]
    assert c[:2] / c[2] == pytest.approx([160, 90])
    p = zoom @ [0, 0, 1]
    assert p[:2] / p[2] == pytest.approx([-160, -90])
    pan = plate_homography(CameraState(pan=10.0), **kw)
    centre = pan @ [160, 90, 1]
    assert centre[0] / centre[2] < 160  # panning right moves the picture left


def test_truck_is_a_pure_translation_of_the_plate() -> None:
    h = plate_homography(CameraState(x=0.4), reference_focal=35, distance=4.0, width=320,
                         height=180)
    f = 35 / 36 * 320
    assert h == pytest.approx(np.array([[1, 0, -f * 0.4 / 4], [0, 1, 0], [0, 0, 1]]))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_and_starts_at_rest(name: str) -> None:
    path = build_path([(name, None)], 48, seed=3)
    assert path.keys[0].frame == 0 and path.keys[-1].frame in (0, 47)
    assert path.at(0) == CameraState() if name != "handheld" else True
    assert CameraPath.from_json(path.to_json()) == path


def test_presets_move_the_way_they_say() -> None:
    end = {n: build_path([(n, None)], 48).at(47) for n in PRESETS if n != "handheld"}
    assert end["pan"].pan == pytest.approx(30) and end["tilt"].tilt == pytest.approx(15)
    assert end["zoom"].focal == pytest.approx(70)
    assert end["dolly-in"].z == pytest.approx(1.6) and end["dolly-out"].z == pytest.approx(-1.6)
    assert end["truck"].x == pytest.approx(1.2) and end["pedestal"].y == pytest.approx(-0.8)
    assert end["crane"].y < 0 and end["crane"].tilt < 0  # rises, looks down at the subject
    orbit = build_path([("orbit", 90)], 97)
    for f in (0, 24, 48, 72, 96):  # stays on the circle around the subject, facing it
        c = orbit.at(f)
        rel = np.array([c.x, c.y, c.z]) - [0, 0, 4]
        assert np.linalg.norm(rel) == pytest.approx(4, rel=0.01)
        look = rotation_matrix(c.pan, c.tilt, c.roll) @ [0, 0, 1]
        assert look @ (-rel / np.linalg.norm(rel)) == pytest.approx(1, abs=2e-3)
    assert orbit.at(96).x == pytest.approx(-4) and orbit.at(96).pan == pytest.approx(90)


def test_multi_stage_move_and_its_description() -> None:
    path = build_path(parse_stages("static,dolly-in:0.5,orbit:90"), 144)
    assert path.at(30) == CameraState()  # the wide hold
    assert path.at(95).z == pytest.approx(2.0)  # dollied in half way to the subject
    assert describe(path) == ("static wide shot, then dolly in, then orbit left 90 "
                              "degrees")
    slow = build_path([("dolly-in", 0.2)], 240)
    assert describe(slow) == "slow dolly in"
    assert describe(build_path([("pan", -40), ("zoom", 0.5)], 96)) == (
        "pan left 40 degrees, then zoom out")
    assert describe(build_path([("handheld", 1.0)], 48)).endswith("handheld")


def test_handheld_is_seeded_and_repeatable() -> None:
    a = build_path([("static", None), ("handheld", 0.8)], 48, seed=5)
    b = build_path([("static", None), ("handheld", 0.8)], 48, seed=5)
    c = build_path([("static", None), ("handheld", 0.8)], 48, seed=6)
    assert [a.at(f) for f in range(48)] == [b.at(f) for f in range(48)]
    assert a.at(10) != c.at(10)
    pans = [a.at(f).pan for f in range(48)]
    assert 0.05 < max(abs(p) for p in pans) < 2.0  # shakes, but by about the amount
    assert max(abs(p - q) for p, q in zip(pans, pans[1:], strict=False)) < 0.5  # smoothly


def test_easing_and_smooth_keys() -> None:
    lin = CameraPath(keys=(CameraKey(0, easing="linear"), CameraKey(10, pan=10)))
    ease = CameraPath(keys=(CameraKey(0, easing="ease_in_out"), CameraKey(10, pan=10)))
    hold = CameraPath(keys=(CameraKey(0, easing="hold"), CameraKey(10, pan=10)))
    assert lin.at(2.5).pan == pytest.approx(2.5) and ease.at(2.5).pan < 2.5
    assert ease.at(5).pan == pytest.approx(5) and hold.at(9.9).pan == 0 and hold.at(10).pan == 10
    smooth = CameraPath(keys=(CameraKey(0, easing="smooth"), CameraKey(10, pan=10,
                              easing="smooth"), CameraKey(20, pan=10)))
    assert smooth.at(10).pan == pytest.approx(10) and smooth.at(15).pan > 10  # overshoots


def test_bad_paths_are_refused() -> None:
    with pytest.raises(CameraError, match="distinct frames"):
        CameraPath(keys=(CameraKey(5), CameraKey(5)))
    with pytest.raises(CameraError, match="easing"):
        CameraPath(keys=(CameraKey(0, easing="bounce"),))
    with pytest.raises(CameraError, match="focal"):
        CameraPath(keys=(CameraKey(0, focal=1.0),))
    with pytest.raises(CameraError, match="unknown camera preset"):
        parse_stages("dolly-sideways")
    with pytest.raises(CameraError, match="not a number"):
        parse_stages("pan:far")
    with pytest.raises(CameraError, match="keys"):
        CameraPath.from_json({"frames": []})


def test_plate_view_follows_the_camera() -> None:
    plate = default_plate(160, 90)
    same = render_plate_view(plate, CameraState(), reference_focal=35, distance=4)
    assert np.abs(same.astype(int) - plate).max() <= 1
    # A truck right by d shifts the picture left by f*d/D pixels exactly.
    f = 35 / 36 * 160
    shifted = render_plate_view(plate, CameraState(x=4 * 8 / f), reference_focal=35,
                                distance=4)
    assert np.abs(shifted[:, :-8].astype(int) - plate[:, 8:]).max() <= 2
    away = render_plate_view(plate, CameraState(pan=180), reference_focal=35, distance=4)
    assert away.max() == 0  # looking away from the plate sees nothing


# --- references and cast --------------------------------------------------------------


def test_reference_limits_and_roles() -> None:
    images = tuple(Reference.from_json(ref(sha=f"{i:02x}" * 32)) for i in range(10))
    check_references(images[:9])
    with pytest.raises(ReferenceAssetError, match="at most 9 image"):
        check_references(images)
    with pytest.raises(ReferenceAssetError, match="cannot be a first_frame"):
        Reference.from_json(ref("first_frame", kind="audio"))
    firsts = (Reference.from_json(ref("first_frame", sha="01" * 32)),
              Reference.from_json(ref("first_frame", sha="02" * 32)))
    with pytest.raises(ReferenceAssetError, match="one first frame"):
        check_references(firsts)
    with pytest.raises(ReferenceAssetError, match="unknown role"):
        Reference.from_json(ref("villain"))


def timeline_with_segment() -> Timeline:
    seq = Sequence(SequenceSettings(fps=24, width=640, height=360))
    seq.tracks["V1"] = Track(TrackInfo(name="V1", kind="video", index=1))
    tl = Timeline(seq, media={})
    tl.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 48,
                "prompt": "rain"})
    return tl


def test_cast_ops_are_undoable_and_remove_unlinks() -> None:
    tl = timeline_with_segment()
    seg = next(tl.sequence.all_items())
    before = tl.sequence.snapshot()
    tl.execute({"op": "add_cast", "name": "Mara", "description": "red coat",
                "references": [ref()]})
    member = next(iter(tl.sequence.cast.values()))
    tl.execute({"op": "set", "item": seg.id, "cast": [member.id]})
    assert tl.sequence.item(seg.id).cast == (member.id,)
    with pytest.raises(EditError, match="already has a member"):
        tl.execute({"op": "add_cast", "name": "mara"})
    with pytest.raises(EditError, match="no cast member with id 999"):
        tl.execute({"op": "set", "item": seg.id, "cast": [999]})
    tl.execute({"op": "set_cast", "member": member.id, "description": "blue coat"})
    assert tl.sequence.cast[member.id].description == "blue coat"
    tl.execute({"op": "remove_cast", "member": member.id})
    assert tl.sequence.item(seg.id).cast == () and not tl.sequence.cast
    for _ in range(4):
        tl.undo()
    assert tl.sequence.snapshot() == before


def test_conditioning_set_validates_and_round_trips_through_history() -> None:
    tl = timeline_with_segment()
    seg = next(tl.sequence.all_items())
    camera = build_path(parse_stages("dolly-in,orbit:-45"), 48, seed=2).to_json()
    tl.execute({"op": "set", "item": seg.id, "references": [ref("first_frame")],
                "camera": camera})
    live = tl.sequence.item(seg.id)
    assert isinstance(live, GeneratedSegment) and live.camera is not None
    # The history holds JSON: decoding the change gives back exactly the live item.
    from timeline.changes import Change

    change = Change.from_json(tl.undo_stack[-1].to_json())
    assert change.ops[-1].after == live
    with pytest.raises(EditError, match="at most 3 video"):
        tl.execute({"op": "set", "item": seg.id, "references": [
            ref("motion", "video", sha=f"{i:02x}" * 32) for i in range(4)]})


def test_versions_cover_the_brief_and_the_cast() -> None:
    tl = timeline_with_segment()
    seg = next(tl.sequence.all_items())
    v0 = version_id(conditioning_payload(seg, tl.sequence.cast))
    tl.execute({"op": "set", "item": seg.id, "seed": 7})
    seg = tl.sequence.item(seg.id)
    assert version_id(conditioning_payload(seg, tl.sequence.cast)) == v0  # seeds make takes
    tl.execute({"op": "add_cast", "name": "Mara", "references": [ref()]})
    member = next(iter(tl.sequence.cast.values()))
    tl.execute({"op": "set", "item": seg.id, "cast": [member.id]})
    seg = tl.sequence.item(seg.id)
    v1 = version_id(conditioning_payload(seg, tl.sequence.cast))
    assert v1 != v0
    tl.execute({"op": "set_cast", "member": member.id, "references": [ref(sha="cd" * 32)]})
    assert version_id(conditioning_payload(seg, tl.sequence.cast)) != v1  # cast change
    renamed = Reference.from_json({**ref("first_frame"), "name": "other name"})
    same = Reference.from_json(ref("first_frame"))
    a = conditioning_payload(type(seg)(**{**seg.__dict__, "references": (same,)}), {})
    b = conditioning_payload(type(seg)(**{**seg.__dict__, "references": (renamed,)}), {})
    assert version_id(a) == version_id(b)  # display names are not part of the brief


def test_cast_member_json_round_trip() -> None:
    m = CastMember(id=3, name="Lighthouse", kind="location", description="white, red top",
                   references=(Reference.from_json(ref()),))
    assert CastMember.from_dict(m.to_dict()) == m


def test_handheld_offset_is_a_pure_function_of_time() -> None:
    h = Handheld(seed=1, amount=1.0)
    assert h.offset(12.5, 24) == h.offset(12.5, 24)
    assert h.offset(12.5, 24) != h.offset(13.5, 24)
