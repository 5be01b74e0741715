"""The translation files in locale/: complete, compiled, and holding every marked string.

For each language of settings.LANGUAGES but English, locale/<language>/LC_MESSAGES/
has django.po (the server: code and templates) and djangojs.po (the browser client),
each committed with its compiled .mo, so that running the chat needs no gettext
tools. These tests read them with polib, so they need no gettext tools either:

- every entry of a .po is translated, none fuzzy, with the placeholders of its
  source (a translation that drops "%(name)s" would fail, or say less, at run time);
- each .mo holds exactly the translations of its .po: a .po edited without
  `make messages` (which compiles) leaves its .mo stale. The contents are compared,
  not the files' times, which a git checkout does not keep;
- every string marked in the code, the templates or the client is in the .po, and
  the .po holds no string that is no longer marked. This runs makemessages (the
  extraction `make messages` does) on a copy of the sources, so it needs xgettext:
  without GNU gettext it is skipped, saying so (CI installs it).

After a change that adds or alters strings: `make messages`, translate what is new
in each .po (these tests name it), and `make messages` again to compile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("django", "djangojs")
LOCALES = [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
FILES = [(locale, domain) for locale in LOCALES for domain in DOMAINS]
IDS = [f"{locale}/{domain}" for locale, domain in FILES]
# A %-placeholder as Python and Django's JavaScript interpolate read them.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def po_path(locale: str, domain: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"


def key(entry: polib._BaseEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or "")


def translations(entries: polib._BaseFile) -> dict[tuple[str | None, str, str], tuple[str, ...]]:
    """Each translated entry's forms, by (context, source, plural source)."""
    found = {}
    for entry in entries:
        if not entry.msgid or entry.obsolete or "fuzzy" in entry.flags:
            continue
        forms = (
            tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
            if entry.msgid_plural
            else (entry.msgstr,)
        )
        if all(forms):
            found[key(entry)] = forms
    return found


def placeholders(text: str) -> list[str]:
    return sorted(match.group() for match in PLACEHOLDER.finditer(text) if match.group() != "%%")


def test_every_language_but_english_has_both_catalogs() -> None:
    assert LOCALES, "settings.LANGUAGES names no language besides English"
    for locale, domain in FILES:
        assert po_path(locale, domain).is_file(), f"no {po_path(locale, domain).relative_to(ROOT)}"


@pytest.mark.parametrize(("locale", "domain"), FILES, ids=IDS)
def test_every_string_is_translated(locale: str, domain: str) -> None:
    po = polib.pofile(str(po_path(locale, domain)))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]

    assert not untranslated, f"{len(untranslated)} untranslated in {locale}/{domain}.po: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check, then drop the flag) in {locale}/{domain}.po: {fuzzy}"


@pytest.mark.parametrize(("locale", "domain"), FILES, ids=IDS)
def test_every_translation_keeps_the_placeholders_of_its_source(locale: str, domain: str) -> None:
    po = polib.pofile(str(po_path(locale, domain)))
    wrong = []
    for (_context, msgid, msgid_plural), forms in translations(po).items():
        for form in forms:
            expected = placeholders(msgid_plural or msgid)
            if placeholders(form) != expected:
                wrong.append(f"{msgid!r}: {form!r} has {placeholders(form)}, not {expected}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("locale", "domain"), FILES, ids=IDS)
def test_the_compiled_catalog_is_the_translation_file(locale: str, domain: str) -> None:
    path = po_path(locale, domain)
    mo = path.with_suffix(".mo")
    assert mo.is_file(), f"{mo.relative_to(ROOT)} is missing: run make messages"

    expected = translations(polib.pofile(str(path)))
    compiled = translations(polib.mofile(str(mo)))

    stale = sorted(set(expected.items()) ^ set(compiled.items()))
    assert not stale, f"{mo.relative_to(ROOT)} is older than its .po ({len(stale)} differ): run make messages"


def test_a_stale_compiled_catalog_is_noticed(tmp_path: Path) -> None:
    """The comparison above can fail: a .po changed after compiling differs from its .mo."""
    source = po_path(LOCALES[0], "django")
    po = polib.pofile(str(source))
    po.save_as_mofile(str(tmp_path / "django.mo"))
    next(iter(po.translated_entries())).msgstr += "!"

    assert translations(po) != translations(polib.mofile(str(tmp_path / "django.mo")))


# What is marked in the sources, extracted as `make messages` does -------------------------

SOURCES = ("accounts", "chat", "chatsite", "templates", "manage.py")


def extracted(tmp_path: Path, locale: str, domain: str) -> set[tuple[str | None, str, str]]:
    """The strings makemessages finds today in a copy of the sources (so the project's
    own files stay as they are)."""
    copy = tmp_path / "src"
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    (copy / "locale").mkdir()
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "chatsite.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", locale, "-d", domain, "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = copy / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"
    return {key(entry) for entry in polib.pofile(str(fresh))}


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext (apt-get install gettext)"
)
@pytest.mark.parametrize(("locale", "domain"), FILES, ids=IDS)
def test_every_marked_string_is_in_the_translation_file(tmp_path: Path, locale: str, domain: str) -> None:
    marked = extracted(tmp_path, locale, domain)
    listed = {key(entry) for entry in polib.pofile(str(po_path(locale, domain))) if not entry.obsolete}

    missing = sorted(marked - listed, key=str)
    gone = sorted(listed - marked, key=str)
    assert not missing, f"marked but not in {locale}/{domain}.po (run make messages, translate): {missing}"
    assert not gone, f"in {locale}/{domain}.po but no longer marked (run make messages): {gone}"
