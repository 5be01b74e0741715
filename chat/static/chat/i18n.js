// The browser client's strings, in the page's language: every module asks here.
//
// The page loads Django's JavaScript catalog of its language (/jsi18n/<language>/,
// built from locale/<language>/LC_MESSAGES/djangojs.po) before the modules; it
// defines `django.gettext` and the rest. Without it (a page that does not load it,
// or a unit test) every string is its English source. Strings take named
// placeholders only, `%(name)s`, filled by `interpolate`; makemessages finds them
// by the names `gettext`, `ngettext` and `pgettext`, so call them by those names.

function catalog() {
  return globalThis.django && typeof globalThis.django.gettext === "function" ? globalThis.django : null;
}

/** `msgid` in the page's language. */
export function gettext(msgid) {
  const django = catalog();
  return django ? django.gettext(msgid) : msgid;
}

/** The form of `singular`/`plural` for `count` in the page's language (Chinese has one form). */
export function ngettext(singular, plural, count) {
  const django = catalog();
  if (django) return django.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

/** `msgid` as meant in `context` (one English word, two meanings). */
export function pgettext(context, msgid) {
  const django = catalog();
  return django ? django.pgettext(context, msgid) : msgid;
}

/** `format` with each `%(name)s` replaced by `values[name]`. */
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (placeholder, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : placeholder,
  );
}

/** The page's language, as a BCP 47 tag for Intl (`<html lang>`: "en", "zh-hans"). */
export function pageLanguage() {
  const lang = globalThis.document ? document.documentElement.lang : "";
  return lang || "en";
}

/** A count written the way the page's language writes numbers ("1,234"). */
export function formatNumber(value) {
  return Number(value).toLocaleString(pageLanguage());
}
