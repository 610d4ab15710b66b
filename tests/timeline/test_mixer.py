"""mix_audio placement, gain, fades and crossfades on a source whose samples name themselves."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from timeline.editor import Timeline
from timeline.engine.mixer import mix_audio
from timeline.model import MediaInfo, Sequence, SequenceSettings, Track, TrackInfo
from timeline.time import first_sample_of_frame

FPS = Fraction(24000, 1001)
RATE = 48000


class RampSource:
    """Mono asset whose media sample i has value (i + 1) * 1e-6 (0 outside), scaled by
    asset id so two assets can be told apart."""

    def __init__(self, lengths: dict[int, int]) -> None:
        self.lengths = lengths

    def has_audio(self, asset: int) -> bool:
        return asset in self.lengths

    def samples(self, asset: int, first: int, count: int) -> np.ndarray:
        i = np.arange(first, first + count, dtype=np.float64)
        v = np.where((i >= 0) & (i < self.lengths[asset]), (i + 1) * 1e-6 * asset, 0.0)
        return v.astype(np.float32)[:, None]


def timeline() -> Timeline:
    seq = Sequence(SequenceSettings(fps=FPS, sample_rate=RATE))
    for name, kind, index in [("V1", "video", 1), ("A1", "audio", 1), ("A2", "audio", 2)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    media = {1: MediaInfo(1, "audio", 500, False, True), 2: MediaInfo(2, "video", 500, True, True)}
    return Timeline(seq, media=media)


def value_at(asset: int, media_sample: int) -> float:
    return float(np.float32((media_sample + 1) * 1e-6 * asset))


def test_clip_sounds_at_exact_samples_from_its_source_in() -> None:
    tl = timeline()
    tl.execute({"op": "insert", "track": "A1", "asset": 1, "source_in": 7, "source_out": 31,
                "at": 10})
    src = RampSource({1: 10**7})
    start = first_sample_of_frame(10, RATE, FPS)  # floor(10 * 48000 * 1001 / 24000) = 20020
    end = first_sample_of_frame(34, RATE, FPS)
    out = mix_audio(tl.sequence, start - 5, end - start + 10, src)
    assert out.shape == (end - start + 10, 2)
    assert (out[:5] == 0).all() and (out[-5:] == 0).all()
    media0 = first_sample_of_frame(7, RATE, FPS)
    assert out[5, 0] == value_at(1, media0) and out[5, 1] == out[5, 0]
    assert out[5 + (end - start) - 1, 0] == value_at(1, media0 + end - start - 1)
    # Any window gives the same samples (no accumulated rounding).
    a = mix_audio(tl.sequence, start + 1000, 777, src)
    b = mix_audio(tl.sequence, start, 4000, src)[1000:1777]
    assert np.array_equal(a, b)


def test_linked_video_audio_gain_mute_and_solo() -> None:
    """A video file's sound plays from its linked clip on an audio track (A2 here); the
    picture on V1 is silent."""
    tl = timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 2, "source_in": 0, "source_out": 20,
                "audio": "A2"})
    tl.execute({"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 20})
    src = RampSource({1: 10**7, 2: 10**7})
    s = 1000
    both = mix_audio(tl.sequence, s, 1, src)[0, 0]
    assert np.isclose(both, value_at(1, s) + value_at(2, s))
    a1 = tl.sequence.track("A1").items[0]
    tl.execute({"op": "set", "item": a1.id, "gain_db": -6.0})
    assert np.isclose(mix_audio(tl.sequence, s, 1, src)[0, 0],
                      value_at(1, s) * 10 ** (-6 / 20) + value_at(2, s))
    tl.execute({"op": "set_track", "track": "A2", "muted": True})
    assert np.isclose(mix_audio(tl.sequence, s, 1, src)[0, 0], value_at(1, s) * 10 ** (-0.3))
    tl.execute({"op": "set_track", "track": "A2", "muted": False})
    tl.execute({"op": "set_track", "track": "V1", "muted": True})  # the picture's track:
    assert np.isclose(mix_audio(tl.sequence, s, 1, src)[0, 0],  # its sound plays on
                      value_at(1, s) * 10 ** (-0.3) + value_at(2, s))
    tl.execute({"op": "set_track", "track": "A2", "solo": True})
    assert np.isclose(mix_audio(tl.sequence, s, 1, src)[0, 0], value_at(2, s))


def test_fades_ramp_linearly_to_silence() -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 48})
    item = tl.sequence.track("A1").items[0]
    tl.execute({"op": "set", "item": item.id, "fade_in": 24, "fade_out": 12})

    class Ones(RampSource):
        def samples(self, asset: int, first: int, count: int) -> np.ndarray:
            return np.ones((count, 1), np.float32)

    end = first_sample_of_frame(48, RATE, FPS)
    env = mix_audio(tl.sequence, 0, end, Ones({1: 1}))[:, 0]
    one_second = first_sample_of_frame(24, RATE, FPS)
    assert env[0] < 1e-4 and abs(env[one_second // 2] - 0.5) < 1e-3
    assert env[one_second + 10] == 1.0
    assert env[-1] < 1e-3
    assert np.all(np.diff(env[:one_second]) > 0)


def test_crossfade_is_equal_sum_through_the_handles() -> None:
    tl = timeline()
    tl.execute({"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 24})
    tl.execute({"op": "append", "track": "A1", "asset": 1, "source_in": 100, "source_out": 124})
    tl.execute({"op": "add_transition", "track": "A1", "at": 24, "duration": 12})

    class Ones(RampSource):
        def samples(self, asset: int, first: int, count: int) -> np.ndarray:
            return np.ones((count, 1), np.float32)

    total = first_sample_of_frame(48, RATE, FPS)
    mixed = mix_audio(tl.sequence, 0, total, Ones({1: 1}))[:, 0]
    # A linear crossfade of two full-scale signals sums to 1 everywhere.
    assert np.allclose(mixed, 1.0, atol=1e-5)


class TakeRampSource(RampSource):
    """RampSource that also knows generated audio takes: take t's sample i is
    (i + 1) * 1e-6 * (100 + t) (0 outside its ``take_lengths``)."""

    def __init__(self, lengths: dict[int, int], take_lengths: dict[int, int]) -> None:
        super().__init__(lengths)
        self.take_lengths = take_lengths

    def has_take_audio(self, take: int) -> bool:
        return take in self.take_lengths

    def take_samples(self, take: int, first: int, count: int) -> np.ndarray:
        i = np.arange(first, first + count, dtype=np.float64)
        v = np.where((i >= 0) & (i < self.take_lengths[take]), (i + 1) * 1e-6 * (100 + take),
                     0.0)
        return v.astype(np.float32)[:, None]


def test_a_generated_segment_on_an_audio_track_sounds_its_active_take() -> None:
    """Issue 17: the active take's sample 0 sounds at the segment's first sample, with the
    segment's gain and fades; no take, a source that knows no takes or a disabled segment
    are silent."""
    tl = timeline()
    tl.execute({"op": "add_generated", "track": "A1", "at": 10, "duration": 24,
                "prompt": "rain"})
    seg = tl.sequence.track("A1").items[0]
    src = TakeRampSource({}, {7: 10**7})
    start = first_sample_of_frame(10, RATE, FPS)
    end = first_sample_of_frame(34, RATE, FPS)
    assert not mix_audio(tl.sequence, start, end - start, src).any()  # no take yet
    tl.execute({"op": "set", "item": seg.id, "takes": [7], "active_take": 7})
    out = mix_audio(tl.sequence, start - 3, end - start + 6, src)[:, 0]
    assert (out[:3] == 0).all() and (out[-3:] == 0).all()
    assert out[3] == np.float32(1e-6 * 107)  # take sample 0 at the segment's first sample
    assert out[3 + end - start - 1] == np.float32((end - start) * 1e-6 * 107)
    assert not mix_audio(tl.sequence, start, 100, RampSource({})).any()  # knows no takes
    tl.execute({"op": "set", "item": seg.id, "gain_db": -6.0, "fade_out": 12})
    out = mix_audio(tl.sequence, start, end - start, src)[:, 0]
    assert np.isclose(out[1000], np.float32(1001e-6 * 107) * 10 ** (-6 / 20), rtol=1e-6)
    assert out[-1] < 1e-3 * abs(out[1000])  # faded out at its end
    tl.execute({"op": "set", "item": seg.id, "enabled": False})
    assert not mix_audio(tl.sequence, start, end - start, src).any()
