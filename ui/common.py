"""Shared Streamlit plumbing: the store, the session's language, literal text, errors, access."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import os
import re
import sys
from collections.abc import Callable

import streamlit as st

from workshop import auth, config, demo, hall, i18n, participation, safety, services, translation, views, vocabulary
from workshop.errors import N_, DomainError, ImportErrors, PermissionDenied, StoreLocked, StoreUnreachable
from workshop.model import Phase, Workshop
from workshop.pgstore import open_store
from workshop.store import Database

log = logging.getLogger("planungswerkstatt")

# Query parameters that must survive navigation and reloads (navigation clears the URL).
STICKY_PARAMS = ("lang", "code", "t", "kiosk")


def get_db() -> Database:
    """The process's one database connection. A file that cannot be opened (held by another process,
    read-only, damaged) stops the page with the translated message instead of a generic error; the
    next run tries again (a failed open is not cached). The server's start (``start_up``) opens it
    first, so this is the rare case of a file that went away later."""
    try:
        return _open_db()
    except DomainError as exc:  # held by another process, read-only, damaged, unreachable
        store_trouble(exc)
        st.stop()


def store_trouble(exc: DomainError) -> None:
    """What a screen says when the database cannot be opened or reached: the whole message (file,
    server, what to do) to the facilitation team, a short one in the page's language to the hall."""
    log.error("%s", exc)
    if st.session_state.get("facilitator") is not None:
        show_error(exc)
    else:
        st.error(gettext()(StoreLocked.PUBLIC))


def client_address() -> str | None:
    """The address of this browser's connection (behind the shipped nginx, the address nginx saw);
    None for this machine itself. What the login slow-down and the join and card limits count by."""
    return st.context.ip_address


def open_db() -> Database:
    """The same connection for code outside a page run (the ballot endpoint, ui/api.py); a held
    file raises StoreLocked."""
    return _open_db()


@st.cache_resource(show_spinner=False)
def _open_db() -> Database:
    """Open the file once per process; creates the demo and the passphrase on first start."""
    try:
        secrets = dict(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        secrets = {}
    settings = config.load(secrets=secrets)
    db = open_store(settings.db_path)
    generated = auth.ensure_passphrase(db, settings.passphrase)
    if generated:
        # Printed once, as Jupyter prints its token; only the hash is stored.
        banner = "=" * 72
        print(
            f"\n{banner}\n  Facilitator passphrase (shown once, stored only as a hash):\n\n"
            f"      {generated}\n\n  Set PW_PASSPHRASE to choose your own.\n{banner}\n",
            file=sys.stderr,
            flush=True,
        )
    if settings.demo_on_empty:
        built = demo.ensure_demo(db)
        if built:
            log.info("demo workshop %s created (code %s)", built.title, built.join_code)
    safety.start(db, settings)  # copies of the open workshops; reports writes lost before this start
    return db


@st.cache_resource(show_spinner=False)
def get_settings() -> config.Settings:
    try:
        secrets = dict(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        secrets = {}
    return config.load(secrets=secrets)


def sync_params() -> None:
    """Keep language, workshop code and ballot token in the URL across page changes."""
    state = st.session_state.setdefault("_sticky", {})
    params = st.query_params
    for key in STICKY_PARAMS:
        if key in params:
            state[key] = params[key]
        elif key in state:
            params[key] = state[key]


def set_param(key: str, value: str | None) -> None:
    state = st.session_state.setdefault("_sticky", {})
    if value is None:
        state.pop(key, None)
        st.query_params.pop(key, None)
    else:
        state[key] = value
        st.query_params[key] = value


def lang() -> str:
    return i18n.normalize(st.query_params.get("lang") or st.session_state.get("_sticky", {}).get("lang"))


def language_picker(key: str, *, compact: bool = False) -> None:
    """Every language by its own name; the choice goes into the URL (with the ballot token).

    ``compact`` is a select box for the top of a busy screen; otherwise every language is a
    button, so a reader who does not read the current language still finds their own.
    """
    _ = gettext()
    languages = i18n.available_languages()
    current = lang()
    if compact:
        choice = st.selectbox(
            _("Language"),
            list(languages),
            index=list(languages).index(current),
            format_func=languages.get,
            key=key,
            label_visibility="collapsed",
        )
    else:
        choice = st.segmented_control(
            _("Language"), list(languages), default=current, format_func=languages.get, key=key
        )
    if choice and choice != current:
        set_param("lang", choice)
        st.rerun()


def gettext() -> Callable[[str], str]:
    """The ``_`` of this browser session's language."""
    return i18n.gettext_for(lang())


def ngettext():
    return i18n.ngettext_for(lang())


def keyed_by_language(key: str) -> str:
    """The key of a select box whose option texts are in the page's language.

    Streamlit keeps a keyed select box's option texts from the run that made it: after a change of
    language in the sidebar, the results page's boxes still spoke the old one. A key per language
    draws the box anew; the choice made in the other language carries over. (Pass ``index`` only
    when the key is not in ``st.session_state`` yet: Streamlit warns about a value set both ways.)
    """
    own = f"{key}:{lang()}"
    if own not in st.session_state:
        for other in [k for k in st.session_state if isinstance(k, str) and k.startswith(key + ":")]:
            st.session_state[own] = st.session_state.pop(other)
            break
    return own


def number(value: float) -> str:
    """A number in this screen's language and digits (charts, metrics): "3,5" in German, "۳٫۵" in Persian."""
    return i18n.format_number(value, lang())


def format_date(value, *, style: str = "medium") -> str:
    """A day in this session's language (Babel)."""
    return i18n.format_date(value, lang(), style=style)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$&=^:\"'])")
# GitHub-flavoured Markdown links bare "https://…", "www.…" and "a@b.org" even when every
# character is escaped; an invisible word joiner (U+2060) after ":" and before "." and "@" breaks
# the pattern without changing what is shown.
_AUTOLINK = re.compile(r"(\\:)|(\\\.|@)")


def md_escape(text: str) -> str:
    """Escape user text for places that only take Markdown (widget labels, expander titles)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
    return _AUTOLINK.sub(lambda m: m[1] + "\u2060" if m[1] else "\u2060" + m[2], escaped)


def isolate(text: str) -> str:
    """User text as an option or label of a widget (which has no ``dir="auto"``): its direction
    comes from its own first letters, not from the screen's language (a German question with its
    "?" on an Arabic screen, an Arabic title on a German one). Unicode's first-strong isolate."""
    return f"\u2068{text}\u2069"


def _lang_attr(lang: str | None) -> str:
    """` lang="…"` for text written in ``lang`` (a screen reader reads it in that language's voice,
    WCAG 3.1.2; Leichte Sprache is German), or nothing where the language is not known."""
    return f' lang="{html.escape(i18n.locale_of(lang))}"' if lang else ""


def literal(text: str, *, tag: str = "div", cls: str = "pw-literal", lang: str | None = None) -> None:
    """Show user text exactly as typed: never Markdown, never HTML, direction from the text;
    ``lang``: the language it is written in."""
    st.html(f'<{tag} class="{cls}" dir="auto"{_lang_attr(lang)}>{html.escape(str(text))}</{tag}>')


def literal_block(parts: list[tuple[str, str]], *, lang: str | None = None) -> None:
    """Several user texts as paragraphs of one element, each (text, css class); empty ones skipped;
    ``lang``: the language they are written in."""
    attr = _lang_attr(lang)
    st.html("".join(f'<p class="{cls}" dir="auto"{attr}>{html.escape(str(text))}</p>' for text, cls in parts if text))


def literal_list(items: list[str]) -> None:
    """A bulleted list of user texts, each shown literally."""
    rows = "".join(f'<li dir="auto">{html.escape(str(t))}</li>' for t in items)
    st.html(f'<ul class="pw-literal" style="margin:0; padding-inline-start:1.2rem">{rows}</ul>')


def reading_note(read: translation.Reading, original: str) -> None:
    """The line under a measure a reader does not see in its original (``translation.note``): for a
    translation, "Translated from: Türkçe" that opens to the original title (``original``) with
    its language; for a text not translated yet, the mark alone. Nothing under an original."""
    note = translation.note(read, gettext(), i18n.language_names(lang()))
    if not note:
        return
    if not read.translated:
        literal(note, tag="p", cls="pw-literal pw-muted")
        return
    st.html(
        f'<details class="pw-original"><summary class="pw-muted" dir="auto">{html.escape(note)}</summary>'
        f'<p class="pw-literal" dir="auto" lang="{html.escape(read.original_lang)}">{html.escape(original)}</p>'
        "</details>"
    )


def speak_for(kind: str | None) -> None:
    """The kind of workshop whose words this run speaks (``say``, ``show_error``): each page that
    shows a workshop calls it once it knows which; app.py forgets it at the start of every run."""
    st.session_state["_kind"] = kind


def voice() -> vocabulary.Voice:
    """This run's language and the workshop kind it speaks for (``speak_for``)."""
    return vocabulary.Voice(lang(), st.session_state.get("_kind"))


def say(vision_msgid: str, conference_msgid: str) -> str:
    """A sentence in the words of this run's workshop kind (``speak_for``), translated."""
    return voice().say(vision_msgid, conference_msgid)


def conference() -> bool:
    """Whether this run speaks an Integrationskonferenz's words (``speak_for``): for the sentences
    ``say`` cannot pick, those with a plural (``ngettext``)."""
    return voice().conference


def show_error(exc: DomainError) -> None:
    """A refusal, translated, in the words of this run's workshop kind."""
    _ = gettext()
    text = exc.message(_, st.session_state.get("_kind"))
    if isinstance(exc, ImportErrors):
        st.error(text + "\n\n" + "\n".join(f"- {md_escape(line)}" for line in exc.lines(_)))
    else:
        st.error(md_escape(text))


def join_base() -> str:
    """The base address of the join link: the public address set, else the browser's, else the
    LAN address with the server's real port and base path."""
    return hall.base_url(
        services.public_url(get_db()) or get_settings().public_url,
        st.context.headers.get("Host"),
        port=int(st.get_option("server.port")),
        base_path=str(st.get_option("server.baseUrlPath") or ""),
    )


def server_on_loopback() -> bool:
    """The server listens on 127.0.0.1 only: phones cannot reach it whatever the link says."""
    return hall.listens_on_loopback(st.get_option("server.address"))


def current_workshop() -> Workshop | None:
    return services.current_workshop(get_db())


# --- facilitator access ---------------------------------------------------------------------


def facilitator() -> auth.Facilitator | None:
    """The session's facilitator login if it is still valid on the server."""
    fac = st.session_state.get("facilitator")
    if fac is None:
        return None
    try:
        auth.check(get_db(), fac)
    except PermissionDenied:
        st.session_state.pop("facilitator", None)
        return None
    return fac


def require_facilitator() -> auth.Facilitator:
    """Stop a facilitator page for anyone without a valid login (the services check again)."""
    fac = facilitator()
    if fac is None:
        _ = gettext()
        st.warning(_("This page is for the facilitation team. Please log in with the passphrase."))
        st.stop()
    return fac


# --- shared reads (300 devices polling collapse to one query per second) ---------------------
# cache_resource hands every session the same object (no pickled copy per call, measured as a
# hot spot under load); that is safe because these values are frozen dataclasses and tuples.
# What the screens show of a workshop is cached under its version (``services.workshop_version``):
# every change of it, made by this process or by another one on the same database, draws a new
# version, so one look at the version per VERSION_LOOK seconds is all that is read while nothing
# changes. Counts of devices and ballots change with every phone: they are read anew after a TTL.

VERSION_LOOK = 0.5  # seconds: how long another app process's change may stay unseen here


@st.cache_resource(ttl=VERSION_LOOK, show_spinner=False)
def cached_version(workshop_id: str) -> int:
    return services.workshop_version(get_db(), workshop_id)


def paper_pending(ws: Workshop) -> bool:
    """Paper ballots of this workshop may still come in after the vote (sheets printed, entry not
    ended): the results shown may still change (projector, phones)."""
    return ws.phase == Phase.RESULTS and services.entry_open(ws) and _sheets_printed(ws.id, cached_version(ws.id)) > 0


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _sheets_printed(workshop_id: str, version: int) -> int:
    return services.paper_stats(get_db(), workshop_id).printed


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _workshop_at(workshop_id: str, version: int) -> Workshop:
    return services.get_workshop(get_db(), workshop_id)


def cached_workshop(workshop_id: str) -> Workshop:
    return _workshop_at(workshop_id, cached_version(workshop_id))


@st.cache_resource(ttl=60, show_spinner=False, max_entries=1000)
def cached_workshop_id(code: object) -> str:
    """The workshop of a join code (codes do not change; a made-up one raises NotFound, not cached)."""
    return services.find_by_code(get_db(), code).id


@st.cache_resource(ttl=5, show_spinner=False)
def cached_counts(workshop_id: str) -> dict:
    """Devices, proposals and ballots (views.counts). Read-only: callers must not change it."""
    return views.counts(get_db(), cached_workshop(workshop_id))


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _goals_at(workshop_id: str, version: int) -> tuple:
    return tuple(services.list_goals(get_db(), workshop_id))


def cached_goals(workshop_id: str) -> tuple:
    return _goals_at(workshop_id, cached_version(workshop_id))


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _groups_at(workshop_id: str, version: int) -> tuple:
    return tuple(services.list_groups(get_db(), workshop_id))


def cached_groups(workshop_id: str) -> tuple:
    return _groups_at(workshop_id, cached_version(workshop_id))


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _measures_at(workshop_id: str, version: int) -> tuple:
    return tuple(services.list_measures(get_db(), workshop_id))


def cached_measures(workshop_id: str) -> tuple:
    return _measures_at(workshop_id, cached_version(workshop_id))


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _translations_at(workshop_id: str, version: int) -> dict:
    return services.list_translations(get_db(), workshop_id)


def cached_translations(workshop_id: str) -> dict:
    """measure id -> language -> translation (``services.list_translations``)."""
    return _translations_at(workshop_id, cached_version(workshop_id))


_texts_memo: dict[tuple[str, bool], tuple[dict, dict]] = {}


def texts_versions(workshop_id: str, machine: bool, translations: dict | None = None) -> dict:
    """Per language, the fingerprint of the translations readers see (``participation.texts_versions``)
    of ``translations`` (default: ``cached_translations``; pass the one a screen draws with), worked
    out once per cached read: the watch asks five times a second while phones wait."""
    found = cached_translations(workshop_id) if translations is None else translations
    memo = _texts_memo.get((workshop_id, machine))
    if memo is None or memo[0] is not found:
        memo = (found, participation.texts_versions(found, machine))
        _texts_memo[(workshop_id, machine)] = memo
    return memo[1]


@st.cache_resource(ttl=600, show_spinner=False, max_entries=200)
def _voting_measures_at(workshop_id: str, version: int) -> dict:
    return services.voting_measures(get_db(), services.get_workshop(get_db(), workshop_id))


def cached_voting_measures(workshop_id: str) -> dict:
    """Measures open for voting (id -> goal id). Read-only: callers must not change it."""
    return _voting_measures_at(workshop_id, cached_version(workshop_id))


# Streamlit's own English texts a participant meets, by the way Streamlit writes them: the skip link's
# text and the accessible names of its buttons (select boxes, heading links). Streamlit offers no
# setting for them, so the page script below rewrites them in the page's language, and again whenever
# Streamlit draws them anew (a MutationObserver; it costs one querySelectorAll per animation frame
# with changes). The English text is kept in ``data-pw-en`` so that a change of language finds them.
_STREAMLIT_LABELS = {
    "Open": N_("Open the list"),
    "Clear value": N_("Clear the choice"),
    "Clear all": N_("Clear all choices"),
    "Link to heading": N_("Link to this section"),
    "Selected values": N_("Chosen"),
    "Close": N_("Close"),
    "Notifications": N_("Notifications"),
    "Collapse sidebar": N_("Hide the menu"),
    "Expand sidebar": N_("Show the menu"),
    "Download as CSV": N_("Download as CSV"),
    "Search": N_("Search"),
    "Close Search": N_("Close the search"),
    "Fullscreen": N_("Full screen"),
    "Show/hide columns": N_("Show or hide columns"),
    "Copy to clipboard": N_("Copy"),
    "Decrement": N_("Less"),
    "Increment": N_("More"),
}
# Names Streamlit builds from a prefix and the option's text ("Remove Deutsch").
_STREAMLIT_PREFIXES = {"Remove ": N_("Remove {label}")}
_PAGE_SCRIPT = """<script>(() => {
  const texts = %(texts)s;
  document.documentElement.lang = %(locale)s;
  for (const el of document.querySelectorAll(".stMain, .stSidebar")) el.dir = %(dir)s;
  window.pwChromeTexts = texts;
  const apply = () => {
    const t = window.pwChromeTexts;
    for (const a of document.querySelectorAll('a[href="#stMain"]')) {
      if (a.textContent !== t.skip) a.textContent = t.skip;
    }
    const names = Object.keys(t.labels).map((en) => `[aria-label="${en}"]`);
    const starts = Object.keys(t.prefixes).map((en) => `[aria-label^="${en}"]`);
    for (const el of document.querySelectorAll([...names, ...starts, "[data-pw-en]"].join(","))) {
      const en = el.getAttribute("data-pw-en") || el.getAttribute("aria-label");
      let said = t.labels[en];
      const prefix = Object.keys(t.prefixes).find((p) => en.startsWith(p));
      if (said === undefined && prefix) said = t.prefixes[prefix].replace("{label}", en.slice(prefix.length));
      if (said === undefined) continue;
      el.setAttribute("data-pw-en", en);
      if (el.getAttribute("aria-label") !== said) el.setAttribute("aria-label", said);
    }
  };
  apply();
  if (!window.pwChromeObserver) {
    let queued = false;
    window.pwChromeObserver = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; apply(); });
    });
    window.pwChromeObserver.observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"],
    });
  }
})();</script>"""


def page_language_script(language: str) -> str:
    """The page's language on ``<html>`` (screen readers, hyphenation), its direction on the app's
    content (``dir="rtl"`` on ``<html>`` would mirror Streamlit's own frame and break it), and
    Streamlit's own texts in that language (see ``_STREAMLIT_LABELS``)."""
    _ = i18n.gettext_for(language)
    texts = {
        "skip": _("Skip to the main content"),
        "labels": {en: _(ours) for en, ours in _STREAMLIT_LABELS.items()},
        "prefixes": {en: _(ours) for en, ours in _STREAMLIT_PREFIXES.items()},
    }
    return _PAGE_SCRIPT % {
        "texts": json.dumps(texts, ensure_ascii=False),
        "locale": json.dumps(i18n.locale_of(language)),
        "dir": json.dumps("rtl" if i18n.is_rtl(language) else "ltr"),
    }


def style() -> None:
    """The app's CSS: touch targets of at least 44 px, readable type, literal user text."""
    st.html(f"<style>{(config.ROOT / 'ui' / 'style.css').read_text()}</style>")


def workshop_picker(fac: auth.Facilitator) -> Workshop:
    """The facilitator's choice of the current workshop (the one participants and projector see).

    The stored current workshop is the truth: the picker shows it on every run (a workshop just
    created, or chosen in another tab, is current here too), and only a choice made in the picker
    itself changes it (its callback, before the page reads anything).
    """
    _ = gettext()
    db = get_db()
    workshops = services.list_workshops(db)
    if not workshops:
        st.info(_("There is no workshop yet. Create one under “Set up”."))
        st.stop()
    current = services.current_workshop(db)
    ids = [w.id for w in workshops]
    names = {w.id: f"{isolate(w.title)} · {format_date(w.date)} · {w.join_code}" for w in workshops}
    st.session_state["ws_pick"] = current.id
    speak_for(current.kind)
    st.selectbox(_("Workshop"), ids, format_func=names.get, key="ws_pick", on_change=_pick_workshop, args=(fac,))
    return current


def _pick_workshop(fac: auth.Facilitator) -> None:
    try:
        services.set_current_workshop(get_db(), fac, st.session_state["ws_pick"])
    except DomainError as exc:
        show_error(exc)
    refresh()


def edit_form(name: str, owner_id: str, stored: object) -> tuple[str, str, object]:
    """Keys for a form that edits stored values, and what the form showed when it was sent.

    Returns the form's key, a prefix for its widgets' keys, and the stored values the form showed
    on the run that drew it. The widget keys carry the owner (workshop, goal) and a fingerprint of
    the stored values: a form never shows another workshop's values, and a change stored elsewhere
    (another window, a colleague) redraws it with what is stored. The form's key carries only the
    owner, so a press on a form drawn before such a change still arrives; the page passes what it
    showed to the service as ``expected``, which then refuses the save with a message.
    """
    fingerprint = hashlib.blake2s(repr(stored).encode(), digest_size=5).hexdigest()
    slot = f"_shown_{name}_{owner_id}"
    shown = st.session_state.get(slot, stored)
    st.session_state[slot] = stored
    return f"{name}_{owner_id}.form", f"{name}_{owner_id}_{fingerprint}", shown


def flash(message: str, where: str = "top") -> None:
    """A confirmation shown once on the next run (after a rerun that redraws or clears a form),
    at the place ``where`` that calls ``show_flash`` (beside the form, where the eyes are)."""
    st.session_state[f"_flash_{where}"] = message


def show_flash(where: str = "top") -> None:
    if message := st.session_state.pop(f"_flash_{where}", None):
        st.success(md_escape(message), icon=":material/check_circle:")


def forget(*keys: str) -> None:
    """Clear widgets outside forms: they start from their defaults on the next run."""
    for key in keys:
        st.session_state.pop(key, None)


def form_round(name: str) -> str:
    """A key prefix for a form that is cleared after each successful send (``clear_form``).

    A browser keeps what was typed into a form's fields even when the server forgets their state;
    fields with new keys start empty. (``clear_on_submit`` would clear them after a refusal too,
    and the facilitator would have to type everything again.)"""
    return f"{name}{st.session_state.get(f'_round_{name}', 0)}_"


def clear_form(name: str) -> None:
    st.session_state[f"_round_{name}"] = st.session_state.get(f"_round_{name}", 0) + 1


def refresh() -> None:
    """After a write: look at the workshop's version again, so the next run sees the write at once."""
    cached_version.clear()  # the write drew a new version: every read keyed by it is made anew


def act(fac: auth.Facilitator, fn, *args, rerun: bool = True, **kwargs) -> bool:
    """Run one facilitator service call: show its refusal, or refresh the shared reads (and rerun)."""
    try:
        fn(get_db(), fac, *args, **kwargs)
    except DomainError as exc:
        show_error(exc)
        return False
    refresh()
    if rerun:
        st.rerun()
    return True


def setting(widget, label: str, stored, *, key: str, save, **kwargs) -> None:
    """A widget (``st.toggle``, ``st.radio``, ``st.selectbox``) for a setting stored with the
    workshop: it shows the stored value, also after someone else changed it (a second console,
    another tab) and after a visit to another page, and ``save`` (the new value; True once stored,
    as ``act``) runs only when this person changed the widget.

    A keyed widget keeps its own value from run to run, and loses it on another page: compared with
    the stored value, a console left open wrote its old value back, and one drawn again without
    its value wrote the widget's default. Only a person's change (``on_change``) writes here."""
    seen, changed = f"{key}:stored", f"{key}:changed"
    if key not in st.session_state or st.session_state.get(seen) != stored:
        st.session_state[key] = stored  # before the widget is drawn: it shows what is stored now
        st.session_state[seen] = stored

    def note_change() -> None:  # runs only for a person's change, before the next run
        st.session_state[changed] = st.session_state[key]

    widget(label, key=key, on_change=note_change, **kwargs)
    if changed not in st.session_state:
        return
    value = st.session_state.pop(changed)
    if value != stored and not save(value):
        del st.session_state[seen]  # refused: the next run shows the stored value again


@contextlib.asynccontextmanager
async def start_up(_app):
    """Open the database before the server takes its first request (st.App's lifespan).

    A file that cannot be opened (held by another app, read-only, damaged) stops the server here
    with the message on its console and a non-zero exit, instead of a healthy-looking server that
    refuses every screen and ballot. A database server that does not answer may come back by
    itself: the app starts anyway, every screen says the database cannot be reached and tries it
    again, and the ballot endpoint answers 503 until it answers.
    """
    try:
        await asyncio.to_thread(_open_db)
    except StoreUnreachable as exc:
        log.error("%s The app starts anyway and tries again on every screen.", exc.message())
    except DomainError as exc:
        # The console is where whoever starts the server looks; a traceback would bury the message.
        print(f"\nPlanungswerkstatt cannot start: {exc.message()}\n", file=sys.stderr, flush=True)
        os._exit(3)
    yield
