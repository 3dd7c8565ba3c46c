"""Settings are split by job, each default has one home, and a result keeps only the measurement's."""

from __future__ import annotations

from dataclasses import fields

import pytest

from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams
from synkimeter.landmarks.params import ExtractionParams
from synkimeter.usecases.settings import (
    DEFAULT_SETTINGS,
    LiveSettings,
    PracticeSettings,
    ProtocolSettings,
    Settings,
    result_params,
)

JOBS = (MeasurementParams, ExtractionParams, LiveSettings, PracticeSettings, ProtocolSettings)


def test_every_setting_has_one_home():
    homes: dict[str, list[str]] = {}
    for job in JOBS:
        for f in fields(job):
            homes.setdefault(f.name, []).append(job.__name__)
    assert {name: jobs for name, jobs in homes.items() if len(jobs) > 1} == {}
    assert {f.name for f in fields(Settings)} == set(homes)


def test_the_whole_set_has_each_jobs_defaults():
    for job in JOBS:
        for f in fields(job):
            assert getattr(DEFAULT_SETTINGS, f.name) == getattr(job(), f.name), f.name
    assert DEFAULT_SETTINGS.iris_diameter_mm == DEFAULT_MEASUREMENT.iris_diameter_mm


def test_a_result_keeps_the_measurement_and_extraction_only():
    saved = result_params(DEFAULT_SETTINGS.with_overrides(live_arrow_gain=9.0, practice_blinks_per_set=3))
    assert set(saved) == {f.name for f in fields(MeasurementParams)} | {f.name for f in fields(ExtractionParams)}
    assert not [k for k in saved if k.startswith(("live_", "practice_", "protocol_", "setup_"))]
    # the core alone (no extraction settings) saves its own
    assert set(result_params(DEFAULT_MEASUREMENT)) == {f.name for f in fields(MeasurementParams)}


def test_saved_settings_round_trip_and_unknown_keys_are_reported():
    assert Settings.from_dict(DEFAULT_SETTINGS.to_dict()) == DEFAULT_SETTINGS
    with pytest.warns(UserWarning, match="arrow_colour"):
        restored = Settings.from_dict({**result_params(DEFAULT_SETTINGS), "arrow_colour": "red"})
    assert restored == DEFAULT_SETTINGS


def test_overrides_keep_the_class():
    assert isinstance(DEFAULT_SETTINGS.with_overrides(min_clip_s=1.0), Settings)
    assert isinstance(DEFAULT_MEASUREMENT.with_overrides(min_clip_s=1.0), MeasurementParams)
