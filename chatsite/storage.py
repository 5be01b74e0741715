"""Static files in production: WhiteNoise's compressed storage, with the URL of each
file worked out once per process (a page asks for the same few many times)."""

from __future__ import annotations

from functools import lru_cache

from whitenoise.storage import CompressedStaticFilesStorage


class StaticStorage(CompressedStaticFilesStorage):
    @lru_cache(maxsize=512)  # noqa: B019 - one storage object lives as long as the process
    def url(self, name: str | None) -> str:
        return super().url(name)
