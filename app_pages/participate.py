"""The participant screen: join, then whatever the current phase asks for (propose, vote, results).

One page that follows the facilitator's phase, so nobody in the hall has to find their way
through menus. The ballot token lives in the URL (``t``): a reload resumes the same ballot.
"""

import html

import streamlit as st

from ui import ballot, common, watch
from workshop import charts, i18n, participation, report, services, translation, views
from workshop.errors import DomainError
from workshop.model import MeasureInput, Phase, WorkshopKind

_ = common.gettext()
db = common.get_db()
params = st.query_params
kiosk = params.get("kiosk") == "1"
participant = services.resume(db, params.get("t"))


def privacy_link() -> None:
    st.page_link("app_pages/privacy.py", label=_("Privacy: what is stored"), icon=":material/shield_person:")


# --- joining ---------------------------------------------------------------------------------


def join_screen() -> None:
    common.language_picker("lang_join")
    if params.get("t"):
        st.info(_("This link is no longer valid. Please join again."))
    workshop = None
    if params.get("code"):
        try:
            workshop = services.find_by_code(db, params.get("code"))
        except DomainError as exc:
            common.show_error(exc)
    if workshop is None:
        st.title(_("Take part"), anchor=False)
        code = st.text_input(_("Workshop code (6 characters, see the projector)"), max_chars=9, key="code_input")
        if st.button(_("Continue"), type="primary", width="stretch", key="code_submit"):
            try:
                workshop = services.find_by_code(db, code)
            except DomainError as exc:
                common.show_error(exc)
            else:
                common.set_param("code", workshop.join_code)
                st.rerun()
        st.stop()
    common.literal(workshop.title, tag="h1", cls="pw-literal pw-title", lang=translation.MAIN_LANGUAGE)
    if params.get("card"):  # a card's or paper ballot's QR code: one that is spent is said now, not after Start
        try:
            services.check_card_before_joining(db, workshop.id, params.get("card"))
        except DomainError as exc:
            common.show_error(exc)
            st.query_params.pop("card", None)
    st.write(_("Welcome! You take part anonymously: no name and no account needed."))
    privacy_link()
    groups = common.cached_groups(workshop.id)
    group_id = None
    # One form: the group and "Start" reach the server together, in one message. As two widgets,
    # the choice was a script run of its own, and a tap on "Start" while it was still under way
    # (a just started server, a hall joining at once) could arrive without it.
    with st.form("join", border=False, enter_to_submit=False):
        if groups:
            group_id = st.radio(
                _("Your working group"),
                [g.id for g in groups],
                index=None,
                format_func={g.id: common.isolate(common.md_escape(g.name)) for g in groups}.get,
                key="group_choice",
            )
        start = st.form_submit_button(_("Start"), type="primary", width="stretch", key="join_start")
    if start:
        if groups and group_id is None:
            st.error(_("Please choose your working group."))
            st.stop()
        try:
            _participant, token = services.join(
                db, workshop.join_code, group_id=group_id, kiosk=kiosk, client=common.client_address()
            )
        except DomainError as exc:
            common.show_error(exc)
        else:
            common.set_param("t", token)
            st.rerun()


if participant is None:
    join_screen()
    st.stop()

# --- joined: the phase decides what this screen shows ----------------------------------------

ws = common.cached_workshop(participant.workshop_id)
common.set_param("code", ws.join_code)
top_l, top_r = st.columns([3, 2], vertical_alignment="center")
with top_l:
    common.literal(ws.title, tag="h2", cls="pw-literal pw-title", lang=translation.MAIN_LANGUAGE)
with top_r:
    common.language_picker("lang_top", compact=True)


# The screen follows the facilitator (phase, reveal, rules; after the reveal, every change to what
# the ranking is made of, such as paper ballots entered late) by a cheap HTTP watch, not by reruns;
# a screen that shows measures also follows their translations to the reader's language.
translations = common.cached_translations(ws.id)
shows_measures = ws.phase in (Phase.COLLECT, Phase.VOTE) or (ws.phase == Phase.RESULTS and ws.results_revealed)
reader_texts = participation.texts_read(common.lang(), common.texts_versions(ws.id, ws.show_machine, translations))
watch.follow(
    ws, common.cached_counts(ws.id)["devices"], common.cached_version(ws.id), reader_texts if shows_measures else None
)
goals = common.cached_goals(ws.id)
goal_title = {g.id: g.title for g in goals}
# Goal titles as widget options (selectboxes show options as plain text, not Markdown).
goal_option = {g.id: common.isolate(g.title) for g in goals}
# An Integrationskonferenz collects recommendations to guiding questions, not measures to goals.
conference = ws.kind == WorkshopKind.CONFERENCE
common.speak_for(ws.kind)
say = common.say


# --- collect ---------------------------------------------------------------------------------


def measure_fields(prefix: str, goal_ids: list[str], current=None) -> tuple[str, MeasureInput]:
    goal_id = st.selectbox(
        _("Guiding question") if conference else _("Goal"),
        goal_ids,
        format_func=goal_option.get,
        key=f"{prefix}_goal",
        index=goal_ids.index(current.goal_id) if current else 0,
    )
    title = st.text_input(
        _("Title of the recommendation") if conference else _("Title of the measure"),
        value=current.title if current else "",
        max_chars=120,
        key=f"{prefix}_title",
        placeholder=_("What should be done?"),
    )
    description = st.text_area(
        _("Description"),
        value=current.description if current else "",
        max_chars=1000,
        key=f"{prefix}_desc",
        placeholder=_("Why, how, for whom?"),
    )
    with st.expander(_("More details (optional)")):
        responsible = st.text_input(
            _("Responsible"), value=current.responsible if current else "", key=f"{prefix}_resp"
        )
        target = st.text_input(_("Target group"), value=current.target_group if current else "", key=f"{prefix}_target")
        timeframe = st.text_input(_("Timeframe"), value=current.timeframe if current else "", key=f"{prefix}_time")
        cost = st.text_input(_("Rough cost"), value=current.cost if current else "", key=f"{prefix}_cost")
    return goal_id, MeasureInput(title, description, responsible, target, timeframe, cost)


PROPOSAL_FIELDS = ("goal", "title", "desc", "resp", "target", "time", "cost")
PROPOSAL_FIELDS += ("lang", "also_lang", "also_title", "also_desc")  # its language, a version in another
LANGUAGES = i18n.available_languages()


def _proposal_draft() -> dict:
    """This device's half-typed proposal (in the database: any app process finds it)."""
    return services.get_draft(db, participant)


def _start_proposal(goal_ids: list[str]) -> None:
    """The new proposal's fields start from the draft this device left (a reload, a dropped
    Wi-Fi, a phone that slept): fields outside a form reach the server as soon as one is left."""
    missing = [field for field in PROPOSAL_FIELDS if f"new_{field}" not in st.session_state]
    kept = _proposal_draft() if missing else {}  # a database read on a session's first run only
    for field in missing:
        value = kept.get(field, "")
        if field == "goal" and value not in goal_ids:
            value = goal_ids[0] if goal_ids else None
        if field == "lang" and value not in LANGUAGES:
            value = common.lang()  # what a proposal is written in: the screen's language, to begin with
        if field == "also_lang" and value not in LANGUAGES:
            value = "de" if common.lang() != "de" else "en"
        st.session_state[f"new_{field}"] = value


def _keep_proposal() -> None:
    """Store the fields as they are now, when they differ from the stored draft (one read per run,
    a write only after a field was changed)."""
    now = {field: st.session_state.get(f"new_{field}") for field in PROPOSAL_FIELDS}
    if now != st.session_state.get("_draft_kept"):
        if now != _proposal_draft():
            services.keep_draft(db, participant, now)
        st.session_state["_draft_kept"] = now


def _send_proposal() -> None:
    """The submit button's callback (it runs before the screen is drawn, so that a saved proposal
    can empty the fields; a refused one keeps them as typed)."""
    get = lambda field: st.session_state.get(f"new_{field}") or ""  # noqa: E731
    data = MeasureInput(get("title"), get("desc"), get("resp"), get("target"), get("time"), get("cost"))
    # The optional version in another language ("also in German"), stored with it or not at all.
    also = MeasureInput(get("also_title"), get("also_desc"))
    versions = {get("also_lang"): also} if (also.title.strip() or also.description.strip()) else {}
    try:
        measure = services.propose_measure(
            db, participant, st.session_state.get("new_goal"), data, lang=get("lang"), versions=versions
        )
    except DomainError as exc:
        st.session_state["proposal_error"] = exc
        return
    for field in ("title", "desc", "resp", "target", "time", "cost", "also_title", "also_desc"):
        st.session_state[f"new_{field}"] = ""
    _keep_proposal()
    st.session_state["proposal_saved"] = (measure.title, measure.lang or translation.MAIN_LANGUAGE)
    common.refresh()


@st.fragment
def collect_screen() -> None:
    st.subheader(_("Propose a recommendation") if conference else _("Propose a measure"), anchor=False)
    goal_ids = [g.id for g in goals]
    _start_proposal(goal_ids)
    # Radio buttons, not a select box: a select box cuts a long guiding question to one line.
    st.radio(
        _("Guiding question") if conference else _("Goal"),
        goal_ids,
        format_func=lambda g: common.md_escape(goal_option[g]),
        key="new_goal",
    )
    st.text_input(
        _("Title of the recommendation") if conference else _("Title of the measure"),
        max_chars=120,
        key="new_title",
        placeholder=_("What should be done?"),
    )
    st.text_area(_("Description"), max_chars=1000, key="new_desc", placeholder=_("Why, how, for whom?"))
    st.selectbox(_("Written in"), list(LANGUAGES), format_func=LANGUAGES.get, key="new_lang")
    # One tap for the language most of the hall reads: the same proposal in German (or another).
    also_label = _("Also in German (optional)") if common.lang() != "de" else _("Also in another language (optional)")
    with st.expander(also_label):
        also = st.selectbox(
            _("Language"),
            [code for code in LANGUAGES if code != st.session_state.get("new_lang")],
            format_func=LANGUAGES.get,
            key="new_also_lang",
        )
        st.text_input(
            _("Title in {language}").format(language=LANGUAGES.get(also, also)), max_chars=120, key="new_also_title"
        )
        st.text_area(
            _("Description in {language}").format(language=LANGUAGES.get(also, also)),
            max_chars=1000,
            key="new_also_desc",
        )
    with st.expander(_("More details (optional)")):
        st.text_input(_("Responsible"), key="new_resp")
        st.text_input(_("Target group"), key="new_target")
        st.text_input(_("Timeframe"), key="new_time")
        st.text_input(_("Rough cost"), key="new_cost")
    _keep_proposal()
    st.button(_("Submit proposal"), type="primary", width="stretch", key="propose", on_click=_send_proposal)
    # Beside the button, and as a toast: on a phone the button is the bottom of the screen, and
    # what appears under it is out of sight.
    if error := st.session_state.pop("proposal_error", None):
        common.show_error(error)
        st.toast(common.md_escape(error.message(_, ws.kind)), icon=":material/error:")
    if (saved := st.session_state.pop("proposal_saved", None)) is not None:
        title, written_in = saved
        st.success(_("Thank you! Your proposal was saved."))
        common.literal(title, tag="p", cls="pw-measure", lang=written_in)
        st.toast(_("Thank you! Your proposal was saved."), icon=":material/check_circle:")

    own = {m.id: m for m in services.own_measures(db, participant)}
    group_measures = (
        services.list_measures(db, ws.id, group_id=participant.group_id) if participant.group_id else list(own.values())
    )
    st.subheader(_("Proposals of your working group") if participant.group_id else _("Your proposals"), anchor=False)
    if not group_measures:
        st.caption(_("No proposals yet."))
    translated = translations
    for m in group_measures:
        with st.container(border=True):
            common.literal(
                goal_title.get(m.goal_id, ""), tag="p", cls="pw-literal pw-muted", lang=translation.MAIN_LANGUAGE
            )
            read = translation.reading(m, translated.get(m.id), common.lang(), machine=ws.show_machine)
            common.literal(read.title, tag="p", cls="pw-measure", lang=read.lang)
            if read.description:
                common.literal(read.description, tag="p", cls="pw-muted", lang=read.lang)
            common.reading_note(read, m.title)
            if m.id in own:
                with st.expander(_("Edit or withdraw")):
                    with st.form(f"edit_{m.id}", enter_to_submit=False):
                        goal_id, data = measure_fields(f"edit_{m.id}", goal_ids, m)
                        save = st.form_submit_button(_("Save changes"), width="stretch")
                    if save:
                        try:
                            services.edit_own_measure(db, participant, m.id, goal_id, data)
                        except DomainError as exc:
                            common.show_error(exc)
                        else:
                            st.rerun()
                    if st.button(_("Withdraw this proposal"), key=f"withdraw_{m.id}", width="stretch"):
                        try:
                            services.withdraw_own_measure(db, participant, m.id)
                        except DomainError as exc:
                            common.show_error(exc)
                        else:
                            st.rerun()


# --- vote ------------------------------------------------------------------------------------


@st.fragment
def ballot_screen() -> None:
    """The ballot, drawn in the browser by its method's component: a tap is no script run, the
    submit one HTTP request (ui/ballot.py)."""
    live = common.cached_workshop(ws.id)
    rules = live.rules
    now = common.cached_translations(ws.id)  # a run of this fragment alone reads them anew
    goal_of = common.cached_voting_measures(ws.id)
    measures = {m.id: m for m in common.cached_measures(ws.id) if m.id in goal_of}
    # The stored ballot is read once per session and method (the browser keeps track of later
    # saves); a kiosk tablet reads it on each run: a save there asks for a run, and the tablet
    # goes to the next person.
    stored_key = f"stored_ballot_{rules.method}"
    if stored_key not in st.session_state or participant.kiosk:
        st.session_state[stored_key] = services.get_ballot(db, participant, rules.method)
    submitted = st.session_state[stored_key]
    if participant.kiosk and submitted is not None:
        next_person(thanks=True)  # this person has voted: the tablet is for the next one
    data = ballot.ballot_data(
        voice=common.voice(),
        device_id=participant.device_id,
        token=params.get("t"),
        rules=rules,
        goals=goals,
        measures=measures,
        goal_of=goal_of,
        saved=submitted,
        notify=participant.kiosk,
        translations=now,
        machine=live.show_machine,
        texts=participation.texts_read(common.lang(), common.texts_versions(ws.id, live.show_machine, now)),
    )
    ballot.show(data)


def next_person(*, thanks: bool) -> None:
    """Kiosk: a fresh anonymous ballot on the same tablet; the previous one disappears and its
    link stops working, so "back" in the browser cannot reopen it. With ``thanks`` the tablet
    first says "thank you" (to the person who voted, and nothing of their ballot) and waits for
    the next person's tap."""
    services.retire_token(db, participant)
    services.keep_draft(db, participant, {})
    _p, token = services.join(
        db, ws.join_code, group_id=participant.group_id, kiosk=True, client=common.client_address()
    )
    for key in list(st.session_state.keys()):
        if key != "_sticky" and not str(key).startswith("lang"):
            del st.session_state[key]
    common.set_param("t", token)
    common.set_param("thanks", "1" if thanks else None)
    st.rerun(scope="app")


def kiosk_thanks() -> None:
    """The neutral screen between two people on a kiosk tablet: it shows nothing of anybody's
    ballot, and the next person starts with one tap."""
    st.html(
        '<div class="pw-thanks" role="status"><p class="pw-thanks-big">'
        + html.escape(_("Thank you! Your vote is saved."))
        + "</p><p>"
        + html.escape(_("Next person, please: tap the button to vote."))
        + "</p></div>"
    )
    if st.button(_("Next person"), key="kiosk_next", type="primary", width="stretch"):
        common.set_param("thanks", None)
        st.rerun()


def card_screen() -> None:
    """Voting needs a card: redeem the one from the scanned link, or type its code."""
    from_link = params.get("card")
    if from_link and not st.session_state.get("card_tried"):
        st.session_state["card_tried"] = True
        try:
            services.redeem_card(db, participant, from_link, client=common.client_address())
        except DomainError as exc:
            common.show_error(exc)
        else:
            st.query_params.pop("card", None)
            st.rerun()
    st.info(_("Voting in this workshop needs a voting card. Please type the code printed on your card."))
    with st.form("card"):
        code = st.text_input(_("Card code"), max_chars=12, key="card_code")
        if st.form_submit_button(_("Use this card"), type="primary", width="stretch"):
            try:
                services.redeem_card(db, participant, code, client=common.client_address())
            except DomainError as exc:
                common.show_error(exc)
            else:
                st.rerun()


# --- results ---------------------------------------------------------------------------------


@st.cache_data(ttl=5, show_spinner=False, max_entries=16)
def public_ranking(workshop_id: str, version: int):
    return views.ranking(db, services.get_workshop(db, workshop_id))


def results_screen() -> None:
    if not ws.results_revealed:
        st.info(_("Voting is closed. The results will appear here as soon as the facilitation team shows them."))
        return
    if common.paper_pending(ws):  # paper ballots still come in after the vote
        st.info(_("Paper ballots are still being entered, so the results may still change."))
    # How many ballots the ranking counts, and from where, as on the projector and the results page.
    counts, number, ngettext = common.cached_counts(ws.id), common.voice().number, common.ngettext()
    if counts["paper"] or counts["invalid"]:
        channels = services.Channels(counts["digital"], counts["paper"], counts["invalid"])
        st.caption(report.ballots_by_channel(channels, _, ngettext, number))
    else:
        st.caption(ngettext(*report.BALLOTS_N, counts["ballots"]).format(n=number(counts["ballots"])))
    # In the reader's language where a translation may be shown, the original one tap away.
    ranked = views.for_reader(
        public_ranking(ws.id, common.cached_version(ws.id)), translations, common.lang(), machine=ws.show_machine
    )
    # A phone is narrow: short label lines, the left margin sized to them, the goals' colours as
    # on the projector and their legend.
    colours = charts.goal_colours([g.title for g in goals])
    st.plotly_chart(
        charts.ranking_bars(
            ranked, _("Ranking"), _("Score"), top=10, colours=colours, label_width=22, number=common.number
        ),
        width="stretch",
        config={"displayModeBar": False, "staticPlot": True},
    )
    # The colour key under the chart, as page text: inside a phone-wide chart a legend of long
    # questions runs into the title and the bars.
    st.html(
        '<ul class="pw-key">'
        + "".join(
            f'<li><span class="pw-swatch" style="background:{colours[g.title]}"></span>'
            f'<span dir="auto" lang="{i18n.locale_of(translation.MAIN_LANGUAGE)}">{html.escape(g.title)}</span></li>'
            for g in goals
        )
        + "</ul>"
    )
    for goal in goals:
        part = ranked[ranked["goal_id"] == goal.id].sort_values("rank_goal")
        common.literal(goal.title, tag="h3", lang=translation.MAIN_LANGUAGE)
        for row in part.to_dict("records"):
            read = row.get("reading")
            common.literal(
                f"{number(row['place_goal'])}. {row['title']} ({number(row['score'])})",
                tag="p",
                lang=read.lang if read else None,
            )
            if read:
                common.reading_note(read, row["original"] or row["title"])


if ws.phase == Phase.COLLECT:
    collect_screen()
elif ws.phase == Phase.VOTE:
    if participant.kiosk and params.get("thanks") == "1":
        st.subheader(_("Vote"), anchor=False)
        kiosk_thanks()
    elif ws.rules.cards_required and not services.has_card(db, participant):
        st.subheader(_("Vote"), anchor=False)
        card_screen()
    else:
        if params.get("card") and not st.session_state.get("card_tried"):
            # A card's or paper ballot's QR code, scanned while cards are optional: the card is this
            # phone's now, so the sheet cannot be counted as well (services.enter_sheet refuses it).
            st.session_state["card_tried"] = True
            try:
                services.redeem_card(db, participant, params.get("card"), client=common.client_address())
            except DomainError as exc:
                common.show_error(exc)
        ballot_screen()  # its heading is the component's: a waiting screen draws it the same way
elif ws.phase == Phase.RESULTS:
    st.subheader(_("Results"), anchor=False)
    results_screen()
else:
    # Waiting for the next step, in the component of the ballot to come: when the vote opens, it
    # turns into the ballot by itself (ui/ballot.py), without a run of this page.
    ballot.waiting(
        voice=common.voice(),
        token=params.get("t"),
        rules=ws.rules,
        message=(
            _("Please wait: the facilitation team will open the next step soon. This screen updates by itself.")
            if ws.phase == Phase.SETUP
            else _("The proposals are being reviewed. Voting starts soon; this screen updates by itself.")
        ),
    )
st.divider()
privacy_link()
