"""chatsite.storage: production's static storage gives WhiteNoise's URLs, worked out once."""

from whitenoise.storage import CompressedStaticFilesStorage

from chatsite.storage import StaticStorage


def test_static_urls_are_whitenoises() -> None:
    ours, theirs = StaticStorage(), CompressedStaticFilesStorage()

    for name in ("chat/app.js", "chat/chat.css", "chat/a file.svg"):
        assert ours.url(name) == theirs.url(name)
        assert ours.url(name) == theirs.url(name)  # the second time from the memo
