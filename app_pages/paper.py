"""Paper ballots: staff type in what a printed sheet shows, on a laptop (issue 23).

Opened by the facilitation team (menu) or with an entry link of its own (``?entry=…``) that can do
nothing else. One form laid out like the sheet: its number (typed, sent by a hand scanner, or read
from the laptop's camera), then per measure the boxes of the sheet, grouped by goal with the same
labels ("2.3"); one press saves it. The same rules as on a phone: a sheet that breaks them is
saved as invalid with a reason. With double entry, two entries that differ wait here for a
decision. The rules are the services' (workshop.services.paper); this page only asks and shows.
"""

import streamlit as st

from ui import common
from workshop import hall, i18n, methods, paper, services, translation, vocabulary
from workshop.errors import DomainError
from workshop.model import Method, Phase

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
key = st.query_params.get("entry")
fac = common.facilitator()
if key is not None and fac is None:
    actor = services.clerk(db, key)
    if actor is None:
        st.error(_("This link is not valid (any more). Please ask the facilitation team for a new one."))
        st.stop()
    ws = common.cached_workshop(actor.workshop_id)
else:
    actor = fac if fac is not None else common.require_facilitator()
    ws = common.workshop_picker(actor)
common.speak_for(ws.kind)
method = methods.of(ws.rules.method)
words = vocabulary.words(ws.kind, _)

common.literal(ws.title, tag="h2", cls="pw-literal pw-title", lang=translation.MAIN_LANGUAGE)
st.subheader(_("Paper ballots"))
if isinstance(actor, services.Clerk):
    common.language_picker("lang_entry", compact=True)
    st.caption(_("Entering as: {name}").format(name=common.isolate(common.md_escape(actor.label))))


def state_note() -> None:
    if ws.phase == Phase.VOTE:
        st.info(_("The vote is running: paper ballots can be entered now, and after the vote until entry is ended."))
    elif services.entry_open(ws):
        st.warning(
            _(
                "The vote is over. Paper ballots can still be entered until the facilitation team ends the entry: "
                "the results may still change."
            )
        )
    elif ws.phase == Phase.RESULTS:
        st.info(_("Entering paper ballots has ended. The facilitation team can open it again on the console."))
    else:
        st.info(_("Paper ballots can be entered once the vote has started."))


@st.fragment(run_every=5)
def progress() -> None:
    """How far the entry is (other laptops enter at the same time); a change of the entry's state
    (the vote ended, entry ended or opened again) redraws the page."""
    live = services.get_workshop(db, ws.id)
    if (live.phase, services.entry_open(live)) != (ws.phase, services.entry_open(ws)):
        common.refresh()
        st.rerun(scope="app")
    stats = services.paper_stats(db, ws.id)
    st.write(
        ngettext(
            "{entered} of {printed} paper ballot entered: {counted} counted, {invalid} invalid.",
            "{entered} of {printed} paper ballots entered: {counted} counted, {invalid} invalid.",
            stats.printed,
        ).format(
            entered=common.number(stats.entered),
            printed=common.number(stats.printed),
            counted=common.number(stats.counted),
            invalid=common.number(stats.invalid),
        )
    )
    if stats.waiting:
        st.caption(
            ngettext(
                "{n} sheet waits for its second entry.", "{n} sheets wait for their second entry.", stats.waiting
            ).format(n=common.number(stats.waiting))
        )


state_note()
progress()

goals = common.cached_goals(ws.id)
measures = {m.id: m for m in common.cached_measures(ws.id)}
known = common.cached_translations(ws.id)
sections = paper.layout(goals, list(measures.values()), services.voting_measures(db, ws))
labels = {line.measure.id: line.label for s in sections for line in s.lines}


def reason_text(reason: str) -> str:
    """Why a sheet is invalid, translated (``paper.INVALID_REASONS``)."""
    return _(paper.INVALID_REASONS[reason])


def title_of(measure) -> str:
    """The title as the sheet prints it: in the main language (a German translation of a proposal
    made in another language, where there is one)."""
    return translation.reading(measure, known.get(measure.id), translation.MAIN_LANGUAGE, machine=True).title


# --- entries that differ: a decision -------------------------------------------------------------

try:
    mismatches = [s for s in services.list_sheets(db, actor, ws.id) if s.state == paper.MISMATCH]
except DomainError as exc:
    common.show_error(exc)
    st.stop()
common.show_flash("decide")
for sheet in mismatches:
    with st.container(border=True):
        st.markdown(
            "**" + _("Paper ballot {number}: the two entries differ").format(number=common.number(sheet.number)) + "**"
        )
        first, second = sheet.entries
        names = [e.get("label") or _("Facilitation team") for e in (first, second)]
        rows = [
            {
                _("Line"): labels.get(m, "?"),
                words["measure"]: title_of(measures[m]) if m in measures else "",
                _("Entry 1 ({name})").format(name=names[0]): one or "–",
                _("Entry 2 ({name})").format(name=names[1]): two or "–",
            }
            for m, one, two in paper.differences(sheet.method, first.get("marks"), second.get("marks"), list(labels))
        ]
        for i, e in enumerate((first, second), start=1):
            if e.get("invalid"):
                st.caption(
                    _("Entry {i}: invalid ({reason})").format(i=common.number(i), reason=reason_text(e.get("invalid")))
                )
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        c1, c2, c3 = st.columns(3)
        picks = {
            1: c1.button(_("Entry 1 is right"), key=f"pick1_{sheet.number}", width="stretch"),
            2: c2.button(_("Entry 2 is right"), key=f"pick2_{sheet.number}", width="stretch"),
            0: c3.button(_("Both wrong: enter again"), key=f"pick0_{sheet.number}", width="stretch"),
        }
        for pick, pressed in picks.items():
            if pressed:
                try:
                    services.decide_sheet(db, actor, ws.id, sheet.number, pick)
                except DomainError as exc:
                    common.show_error(exc)
                else:
                    common.refresh()
                    common.flash(
                        _("Paper ballot {number}: decided.").format(number=common.number(sheet.number)), "decide"
                    )
                    st.rerun()


# --- the sheet --------------------------------------------------------------------------------------


def entered_list() -> None:
    with st.expander(_("Sheets entered")):
        entered = services.list_sheets(db, actor, ws.id)
        if not entered:
            st.caption(_("No paper ballot entered yet."))
            return
        st.dataframe(
            [
                {
                    _("Number"): s.number,
                    _("State"): _(paper.STATES[s.state]),
                    _("Reason"): reason_text(s.reason) if s.reason else "",
                    _("Entered by"): " · ".join(
                        common.isolate(e.get("label") or _("Facilitation team")) for e in s.entries
                    ),
                    _("When"): i18n.format_moment(s.updated_at, common.lang()),
                }
                for s in entered
            ],
            hide_index=True,
            width="stretch",
        )


if not services.entry_open(ws):
    entered_list()
    st.stop()

round_ = common.form_round("sheet")
number_key = round_ + "number"
with st.expander(_("Scan the QR code with this laptop's camera")):
    st.caption(_("Or type the number printed on the sheet. A hand scanner types the code into the field itself."))
    # Browsers open the camera for https and for this computer only, not for the hall's plain
    # http address: there it would ask and fail.
    shot = None
    if hall.camera_allowed(st.context.url):
        shot = st.camera_input(_("Hold the sheet's QR code to the camera"), key=round_ + "camera")
    else:
        st.info(_("The camera works on the laptop that runs the app, or over https. A hand scanner works everywhere."))
    # A photo fills the number once: later runs (a refusal, a typed correction) keep what was typed.
    if shot is not None and st.session_state.get("_paper_photo") != shot.file_id:
        st.session_state["_paper_photo"] = shot.file_id
        found = hall.read_qr(shot.getvalue())
        if found:
            st.session_state[number_key] = found
        else:
            st.warning(_("No QR code found in the picture. Hold it closer, or type the number."))

marks: dict[str, object] = {}
with st.form(round_ + "form", enter_to_submit=False):
    typed = st.text_input(
        _("Number of the paper ballot"), key=number_key, placeholder=_("For example 17, or scan its QR code")
    )
    st.caption(common.md_escape(_(method.say(ws.kind))))
    for section in sections:
        common.literal(f"{section.number}. {section.goal.title}", tag="h4", lang=translation.MAIN_LANGUAGE)
        for line in section.lines:
            mid = line.measure.id
            text, boxes = st.columns([3, 2], vertical_alignment="center")
            with text:
                common.literal(f"{line.label}  {title_of(line.measure)}", tag="p", lang=translation.MAIN_LANGUAGE)
            with boxes:
                if method.method == Method.DOTS:
                    marks[mid] = st.segmented_control(
                        line.label,
                        list(range(1, ws.rules.max_per_measure + 1)),
                        key=f"{round_}m_{mid}",
                        format_func=common.number,
                        label_visibility="collapsed",
                    )
                elif method.method == Method.APPROVAL:
                    marks[mid] = st.checkbox(_("Ticked"), key=f"{round_}m_{mid}")
                elif method.method == Method.RANKING:
                    marks[mid] = st.segmented_control(
                        line.label,
                        list(range(1, len(labels) + 1)),
                        key=f"{round_}m_{mid}",
                        format_func=common.number,
                        label_visibility="collapsed",
                    )
                else:
                    marks[mid] = {
                        c.key: st.segmented_control(
                            common.md_escape(_(c.label)),
                            list(range(1, 6)),
                            key=f"{round_}m_{mid}_{c.key}",
                            format_func=common.number,
                        )
                        for c in ws.rules.criteria
                    }
    invalid = st.segmented_control(
        _("Invalid sheet? Choose why"),
        list(paper.INVALID_REASONS),
        format_func=reason_text,
        key=round_ + "invalid",
    )
    correct = st.checkbox(_("This corrects a sheet entered before"), key=round_ + "correct")
    sent = st.form_submit_button(_("Save the sheet"), type="primary")

OUTCOME = {
    paper.COUNTED: lambda e: _("Paper ballot {number} saved: it counts.").format(number=common.number(e.number)),
    paper.INVALID: lambda e: _("Paper ballot {number} saved as invalid: {reason}.").format(
        number=common.number(e.number), reason=reason_text(e.reason)
    ),
    paper.WAITING: lambda e: _("Paper ballot {number} entered once: now a second person enters it.").format(
        number=common.number(e.number)
    ),
    paper.MISMATCH: lambda e: _("Paper ballot {number}: the two entries differ. Decide above which is right.").format(
        number=common.number(e.number)
    ),
}


if st.button(_("Clear the form"), key=round_ + "clear", icon=":material/restart_alt:"):
    common.clear_form("sheet")
    st.rerun()
# What the last save did, under the button that was pressed (above the form it was out of view),
# and as a toast, which stays in view wherever the page is scrolled.
if saved := st.session_state.pop("_flash_sheet", None):
    st.success(common.md_escape(saved), icon=":material/check_circle:")
    st.toast(common.md_escape(saved), icon=":material/check_circle:")
if refused := st.session_state.pop("_paper_refused", None):
    st.error(common.md_escape(refused))
    st.toast(common.md_escape(refused), icon=":material/error:")
if differ := st.session_state.pop("_paper_differ", None):
    st.warning(common.md_escape(differ))
    st.toast(common.md_escape(differ), icon=":material/warning:")


def kept_marks() -> None:
    """After a refusal the form keeps what was ticked (to correct the number, or to save the sheet
    as invalid): said plainly, with a way to start the next sheet empty."""
    st.warning(_("The marks are still on the form. Check them against the sheet in your hand, or clear the form."))


if sent:
    hint = _("If the sheet really shows this, choose “{reason}” above and save: it counts as invalid.")
    try:
        try:
            ballot = paper.ballot_from_marks(method.method, marks)
        except paper.BreaksRules:
            if invalid is None:
                raise
            ballot = None  # marks that make no ballot (two lines with one place): invalid, as chosen
        done = services.enter_sheet(db, actor, ws.id, typed, ballot, invalid=invalid, correct=correct)
    except paper.BreaksRules as exc:
        common.show_error(exc)
        st.info(hint.format(reason=reason_text(paper.BREAKS_RULES)))
        kept_marks()
    except paper.SheetClosed as exc:
        # Nothing can be entered for this sheet now: its marks must not go into the next sheet.
        st.session_state["_paper_refused"] = exc.message(_, ws.kind)
        common.clear_form("sheet")
        st.rerun()
    except DomainError as exc:
        common.show_error(exc)
        kept_marks()
    else:
        common.refresh()
        if done.state == paper.MISMATCH:  # not a success: a decision is needed (above the form)
            st.session_state["_paper_differ"] = OUTCOME[done.state](done)
        else:
            common.flash(OUTCOME[done.state](done), "sheet")
        common.clear_form("sheet")
        st.rerun()

entered_list()
