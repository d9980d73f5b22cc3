"""The production settings, plus the benchmark's baseline view (bench/urls.py)."""

from tracker.settings import *  # noqa: F403 - the same settings, one thing added

ROOT_URLCONF = "bench.urls"
