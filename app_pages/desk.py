"""The translation desk for language mediators (Sprachmittler): opened with the link the
facilitation team hands out per language (``?desk=…``), on a tablet or laptop. The queue of what
still lacks a translation into the link's language, newest first; the original beside the field;
save, or mark an existing version as checked. The link can do nothing else (workshop.services)."""

import streamlit as st

from ui import common
from workshop import engine as engines
from workshop import i18n, services, translation
from workshop.errors import DomainError
from workshop.model import MeasureInput

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
holder = services.mediator(db, st.query_params.get("desk"))
if holder is None:
    st.error(_("This link is not valid (any more). Please ask the facilitation team for a new one."))
    st.stop()

LANGUAGES = i18n.available_languages()
ws = common.cached_workshop(holder.workshop_id)
common.speak_for(ws.kind)
target = LANGUAGES.get(holder.lang, holder.lang)
common.literal(ws.title, tag="h2", cls="pw-literal pw-title", lang=translation.MAIN_LANGUAGE)
st.subheader(_("Translation desk: {language}").format(language=target))
common.language_picker("lang_desk", compact=True)
# Outside collect and review the measures are final: the desk shows them, its fields are locked.
locked = ws.phase not in services.MEDIATOR_PHASES
if locked:
    st.info(_("Translations can be made once proposals are collected."))


def suggestion(title: str, description: str, source: str, target: str) -> tuple[str, str] | None:
    """The offline engine's suggestion (workshop/engine.py); None where the machine has no engine
    for the pair (models installed meanwhile count at once). Nothing leaves the machine."""
    found = engines.engine()
    if found is None or (source, target) not in found.pairs():
        return None
    return _suggested(title, description, source, target, frozenset(found.pairs()))


@st.cache_data(max_entries=2000, show_spinner=False)
def _suggested(title: str, description: str, source: str, target: str, pairs: frozenset) -> tuple[str, str] | None:
    """Once per text, pair and set of installed models (a model takes a moment; the queue
    refreshes every 10 s)."""
    return engines.suggest(engines.engine(), title, description, source, target)


@st.fragment(run_every=10)
def queue() -> None:
    """The queue, refreshed every 10 s (new proposals arrive while the mediator works)."""
    try:
        items = services.translation_queue(db, holder)
    except DomainError as exc:
        common.show_error(exc)
        return
    todo = sum(not i.done for i in items)
    if todo:
        st.caption(
            ngettext(
                "{n} proposal still to translate or check", "{n} proposals still to translate or check", todo
            ).format(n=todo)
        )
    else:
        st.caption(_("Everything is translated and checked. New proposals appear here by themselves."))
    common.show_flash("desk")
    goal_title = {g.id: g.title for g in common.cached_goals(ws.id)}
    known = common.cached_translations(ws.id)
    for item in items:
        m, current = item.measure, item.translation
        with st.container(border=True):
            original, field = st.columns(2)
            with original:
                source = translation.original_language(m)
                st.caption(_("Original: {language}").format(language=LANGUAGES.get(source, source)))
                common.literal(
                    goal_title.get(m.goal_id, ""), tag="p", cls="pw-literal pw-muted", lang=translation.MAIN_LANGUAGE
                )
                common.literal_block([(m.title, "pw-measure"), (m.description, "pw-literal pw-muted")], lang=source)
                # A German version beside an original in a third language: a Turkish proposal for an
                # Arabic–German mediator (the usual pairing in the hall).
                german = known.get(m.id, {}).get(translation.MAIN_LANGUAGE)
                if german is not None and translation.MAIN_LANGUAGE not in (source, holder.lang):
                    name = LANGUAGES.get(translation.MAIN_LANGUAGE, translation.MAIN_LANGUAGE)
                    st.caption(f"{name} ({translation.made_label(german, _)})")
                    common.literal_block(
                        [(german.title, "pw-measure"), (german.description, "pw-literal pw-muted")],
                        lang=translation.MAIN_LANGUAGE,
                    )
            with field:
                proposed = None
                if current is not None:
                    st.caption(translation.made_label(current, _))
                else:
                    proposed = suggestion(m.title, m.description, source, holder.lang)
                    if proposed is not None:
                        st.caption(_(engines.SUGGESTION))
                    else:
                        st.caption(
                            _("Not translated yet.")
                            + " "
                            + _(engines.NO_ENGINE_FOR_PAIR).format(source=LANGUAGES.get(source, source), target=target)
                        )
                saved = (current.title, current.description) if current else ("", "")
                start = saved if current else proposed or saved
                form_key, key, shown = common.edit_form(f"desk_{holder.lang}", m.id, saved)
                with st.form(form_key, enter_to_submit=False, border=False):
                    title = st.text_input(
                        _("Title ({language})").format(language=target),
                        start[0],
                        max_chars=120,
                        key=f"{key}.title",
                        disabled=locked,
                    )
                    description = st.text_area(
                        _("Description ({language})").format(language=target),
                        start[1],
                        max_chars=1000,
                        key=f"{key}.description",
                        disabled=locked,
                    )
                    save = st.form_submit_button(_("Save translation"), type="primary", disabled=locked)
                if save:
                    version = MeasureInput(title, description)
                    _act(services.translate_measure, m.id, holder.lang, version, expected=shown)
                if current is not None and not item.done:
                    if st.button(_("Checked: correct as it is"), key=f"review_{m.id}", disabled=locked):
                        _act(services.review_translation, m.id, holder.lang)


def _act(fn, *args, **kwargs) -> None:
    try:
        fn(db, holder, *args, **kwargs)
    except DomainError as exc:
        common.show_error(exc)
        return
    common.refresh()
    common.flash(_("Saved."), "desk")
    st.rerun()


queue()
