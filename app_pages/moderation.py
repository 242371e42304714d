"""Moderation during collect and review: edit, hide, move, merge duplicates, set the status."""

import streamlit as st

from ui import common
from workshop import i18n, methods, services, translation, vocabulary
from workshop.errors import N_, DomainError
from workshop.model import MEASURE_STATUS_LABELS, Action, MeasureInput, MeasureStatus, Role, WorkshopKind, allowed

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
fac = common.require_facilitator()
ws = common.workshop_picker(fac)
words = vocabulary.words(ws.kind, _)
LANGUAGES = i18n.available_languages()


if not allowed(ws.phase, Role.FACILITATOR, Action.MODERATE):
    st.info(
        _(
            "Moderation is possible while proposals are collected and reviewed. Translations can be added and "
            "corrected at any time."
        )
    )

goals = services.list_goals(db, ws.id)
goal_title = {g.id: g.title for g in goals}
measures = services.list_measures(db, ws.id, include_hidden=True)
c1, c2 = st.columns([3, 1])
goal_filter = c1.selectbox(
    words["goal"],
    [None] + [g.id for g in goals],
    key=f"mod_goal_{ws.id}",
    format_func=lambda g: words["all_goals"] if g is None else common.isolate(goal_title[g]),
)
show_hidden = c2.toggle(_("Show hidden"), value=True, key="mod_hidden")
shown = [m for m in measures if (goal_filter is None or m.goal_id == goal_filter) and (show_hidden or not m.hidden)]
conference = ws.kind == WorkshopKind.CONFERENCE
st.caption(
    (
        ngettext("{n} recommendation", "{n} recommendations", len(shown))
        if conference
        else ngettext("{n} measure", "{n} measures", len(shown))
    ).format(n=len(shown))
)
translations = services.list_translations(db, ws.id)


def _named(m) -> str:
    """A measure in the pickers: its original title, and beside it the title in this page's
    language where there is one ("Harburg için … (Ein Ausländerbeirat für Harburg)"), so that
    typing "Beirat" finds a Turkish duplicate of a German proposal."""
    read = translation.reading(m, translations.get(m.id), common.lang(), machine=True)
    return f"{m.title} ({read.title})" if read.translated else m.title


titles = {m.id: _named(m) for m in measures}
open_merges = services.open_merges(db, ws.id)
common.show_flash("merge")


UNDONE = (
    N_("The merge is undone: the measures and their votes are back as they were."),
    N_("The merge is undone: the recommendations and their votes are back as they were."),
)


def undo(merge_id: str) -> None:
    if common.act(fac, services.unmerge_measures, merge_id, rerun=False):
        common.flash(_(vocabulary.pick(ws.kind, *UNDONE)), "merge")
        st.rerun()


def merge_confirmation(m, dupes: list[str]) -> None:
    """What will be merged into what, before anything changes."""
    with st.container(border=True):
        n = len(dupes)
        st.markdown(
            (
                ngettext(
                    "Merge this recommendation into the one above?",
                    "Merge these {n} recommendations into the one above?",
                    n,
                )
                if conference
                else ngettext(
                    "Merge this measure into the one above?", "Merge these {n} measures into the one above?", n
                )
            ).format(n=n)
        )
        common.literal_list([titles[d] for d in dupes])
        st.caption(
            _("Their texts stay visible under it, and their votes count for it. You can undo the merge afterwards.")
        )
        if services.count_ballots(db, ws.id, ws.rules.method):
            st.caption(_(methods.of(ws.rules.method).merging(ws.kind)))
        yes, no = st.columns(2)
        if yes.button(_("Yes, merge"), key=f"mgyes_{m.id}", type="primary", width="stretch"):
            st.session_state.pop("merge_ask", None)
            if common.act(fac, services.merge_measures, m.id, dupes, rerun=False):
                common.forget(f"mg_{m.id}")
                common.flash(
                    ngettext("Merged {n} into “{title}”.", "Merged {n} into “{title}”.", len(dupes)).format(
                        n=len(dupes), title=m.title
                    ),
                    "merge",
                )
                st.rerun()
        if no.button(_("Cancel"), key=f"mgno_{m.id}", width="stretch"):
            st.session_state.pop("merge_ask", None)
            st.rerun()


def _change_language(measure_id: str, original: str, key: str) -> None:
    """The original-language select's change, before the run: a refused change puts the select
    back on the stored language (and the run shows why)."""
    try:
        services.set_measure_language(db, fac, measure_id, st.session_state[key])
    except DomainError as exc:
        st.session_state[key] = original
        st.session_state[f"{key}.refused"] = exc
    else:
        common.refresh()


def translation_forms(m, translated: dict) -> None:
    """The original's language, and a translation per language: written, corrected or removed
    by the facilitation team (reviewed by them; audit-logged)."""
    original = translation.original_language(m)
    key = f"ol_{m.id}"
    if st.session_state.get(key) not in (None, original) and f"{key}.refused" not in st.session_state:
        st.session_state[key] = original  # changed elsewhere since this select last showed it
    st.selectbox(
        _("Language of the original"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(original) if original in LANGUAGES else 0,
        format_func=LANGUAGES.get,
        key=key,
        on_change=_change_language,
        args=(m.id, original, key),
    )
    if refused := st.session_state.pop(f"{key}.refused", None):
        common.show_error(refused)
    targets = [code for code in LANGUAGES if code != original]
    target = st.selectbox(_("Translation to"), targets, format_func=LANGUAGES.get, key=f"tl_{m.id}")
    current = translated.get(target)
    form_key, key, shown_text = common.edit_form(
        f"translate_{target}", m.id, (current.title, current.description) if current else ("", "")
    )
    with st.form(form_key, enter_to_submit=False):
        t = st.text_input(_("Title"), current.title if current else "", max_chars=120, key=f"{key}.title")
        d = st.text_area(
            _("Description"), current.description if current else "", max_chars=1000, key=f"{key}.description"
        )
        if st.form_submit_button(_("Save translation")):
            common.act(fac, services.translate_measure, m.id, target, MeasureInput(t, d), expected=shown_text)
    if current and st.button(_("Remove this translation"), key=f"rmt_{m.id}_{target}"):
        common.act(fac, services.remove_translation, m.id, target)


if open_merges and allowed(ws.phase, Role.FACILITATOR, Action.MODERATE):
    latest = open_merges[0]
    if latest.target_id in titles and st.button(
        _("Undo the last merge (into “{title}”)").format(title=common.md_escape(titles[latest.target_id])),
        key="undo_last_merge",
        icon=":material/undo:",
    ):
        undo(latest.id)

for m in shown:
    with st.container(border=True):
        head, badge = st.columns([5, 1])
        with head:
            common.literal(
                goal_title.get(m.goal_id, ""), tag="p", cls="pw-literal pw-muted", lang=translation.MAIN_LANGUAGE
            )
            common.literal(m.title, tag="p", cls="pw-measure", lang=translation.original_language(m))
            if m.description:
                common.literal(m.description, tag="p", cls="pw-muted", lang=translation.original_language(m))
        badge.caption(_("hidden") if m.hidden else _(MEASURE_STATUS_LABELS[m.status]))
        # The original's language and every translation beside it: duplicates across languages show.
        translated = translations.get(m.id, {})
        if translated or m.lang:
            common.literal(
                _("Original: {language}").format(language=LANGUAGES.get(translation.original_language(m), m.lang)),
                tag="p",
                cls="pw-literal pw-muted",
            )
        for lang, t in translated.items():
            label = f"{LANGUAGES.get(lang, lang)} ({translation.made_label(t, _)})"
            common.literal(label, tag="p", cls="pw-literal pw-muted")
            common.literal(t.title + (f" — {t.description}" if t.description else ""), tag="p", lang=lang)
        for src in services.merged_sources(db, m.id):
            common.literal(
                "⤷ " + src.title + (f" — {src.description}" if src.description else ""),
                tag="p",
                cls="pw-muted",
                lang=translation.original_language(src),
            )
        for merge in (x for x in open_merges if x.target_id == m.id):
            if st.button(_("Undo this merge"), key=f"undo_{merge.id}", icon=":material/undo:"):
                undo(merge.id)
        ask = st.session_state.get("merge_ask")
        if ask and ask[0] == m.id:
            merge_confirmation(m, [d for d in ask[1] if d in titles and d != m.id])
        with st.expander(_("Translations")):
            translation_forms(m, translations.get(m.id, {}))
        with st.expander(_("Edit, move, merge")):
            form_key, key, shown_text = common.edit_form("moderate", m.id, (m.title, m.description))
            with st.form(form_key, enter_to_submit=False):
                t = st.text_input(_("Title"), m.title, key=f"{key}.title")
                d = st.text_area(_("Description"), m.description, key=f"{key}.description")
                if st.form_submit_button(_("Save text")):
                    common.act(
                        fac,
                        services.moderate_edit,
                        m.id,
                        MeasureInput(t, d, m.responsible, m.target_group, m.timeframe, m.cost),
                        expected=shown_text,
                    )
            b1, b2 = st.columns(2)
            if b1.button(_("Show again") if m.hidden else _("Hide"), key=f"hide_{m.id}", width="stretch"):
                common.act(fac, services.set_hidden, m.id, not m.hidden)
            # Stored settings of the measure: a colleague's change is shown, not written back.
            with b2:
                common.setting(
                    st.selectbox,
                    _("Status"),
                    m.status,
                    options=list(MeasureStatus),
                    format_func=lambda s: _(MEASURE_STATUS_LABELS[s]),
                    key=f"st_{m.id}",
                    save=lambda status, m=m: common.act(fac, services.set_status, m.id, status),
                )
            common.setting(
                st.selectbox,
                words["move_to_goal"],
                m.goal_id,
                options=[g.id for g in goals],
                format_func=lambda g: common.isolate(goal_title[g]),
                key=f"mv_{m.id}",
                save=lambda goal_id, m=m: common.act(fac, services.move_measure, m.id, goal_id),
            )
            dupes = st.multiselect(
                words["merge_into"],
                [x for x in titles if x != m.id],
                format_func=lambda m: common.isolate(titles[m]),
                key=f"mg_{m.id}",
                placeholder=_("Choose the duplicates"),
                select_all=False,  # merging everything with one tap is never what is meant
            )
            if dupes and st.button(_("Merge …"), key=f"mgo_{m.id}", type="primary"):
                st.session_state["merge_ask"] = (m.id, list(dupes))
                st.rerun()
