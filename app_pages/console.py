"""Facilitator console: run the workshop (phase, timer, reveal), live counters, hall links, log."""

import base64
import html

import streamlit as st

from ui import common
from workshop import audit, cards, hall, i18n, paper, safety, services, translation, views, vocabulary
from workshop import engine as engines
from workshop.errors import N_, DomainError
from workshop.model import PHASE_ORDER, Method, Phase

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
fac = common.require_facilitator()
ws = common.workshop_picker(fac)
words = vocabulary.words(ws.kind, _)


st.subheader(_("Phase"))
labels = {p: _(services.phase_label(p)) for p in PHASE_ORDER}
target = st.segmented_control(
    _("Phase"),
    PHASE_ORDER,
    default=ws.phase,
    format_func=labels.get,
    key=f"phase_choice_{ws.phase}",
    label_visibility="collapsed",
)
if target is not None and target != ws.phase:
    st.warning(_("Change the phase from “{old}” to “{new}”?").format(old=labels[ws.phase], new=labels[target]))
    c1, c2 = st.columns(2)
    if c1.button(_("Yes, change the phase"), type="primary", key="confirm_phase", width="stretch"):
        common.act(fac, services.set_phase, ws.id, target)
    if c2.button(_("Cancel"), key="cancel_phase", width="stretch"):
        st.rerun()

if ws.phase == Phase.RESULTS:
    common.setting(
        st.toggle,
        _("Show the results to everyone (projector and participants)"),
        ws.results_revealed,
        key="reveal",
        save=lambda shown: common.act(fac, services.reveal_results, ws.id, shown),
    )
    # The projector shows one chart, large; the console chooses which (nobody clicks in the wall).
    goals = services.list_goals(db, ws.id)
    views_offered = {services.WALL_OVERALL: _("Ranking overall")}
    views_offered |= {g.id: f"{common.number(g.position)}. {common.isolate(g.title)}" for g in goals}
    if services.count_ballots(db, ws.id, Method.RATING):
        views_offered[services.WALL_MATRIX] = _("Rating matrix")
    common.setting(
        st.radio,
        _("The projector shows"),
        ws.wall_view if ws.wall_view in views_offered else services.WALL_OVERALL,
        options=list(views_offered),
        format_func=lambda v: common.md_escape(views_offered[v]),
        key=f"wall_view_{ws.id}",
        horizontal=True,
        save=lambda wall: common.act(fac, services.set_wall_view, ws.id, wall),
    )

with st.container(border=True):
    t1, t2, t3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    minutes = t1.number_input(_("Timer for this phase (minutes)"), 1, 600, 15, key="timer_minutes")
    if t2.button(_("Start timer"), key="timer_start", width="stretch"):
        common.act(fac, services.set_timer, ws.id, int(minutes))
    if t3.button(_("Stop timer"), key="timer_stop", width="stretch", disabled=ws.phase_ends_at is None):
        common.act(fac, services.set_timer, ws.id, None)


NO_GOALS = (N_("No goals yet."), N_("No guiding questions yet."))


def printed_pdf(slot: str, made: list[tuple[int, str]], pdf: bytes) -> None:
    """Keep the PDF of cards or sheets just made for this session's download button (with their
    numbers), then draw the page again: its counters include them. While they are made, the last
    PDF's button is gone (an ``st.empty`` in its place): a press on it then would download the old
    numbers, and the new codes, which exist only in this PDF, would be lost."""
    st.session_state[slot] = (made[0][0], made[-1][0], pdf)
    common.refresh()
    st.rerun()


def sheet_sections(*, printing: bool = False) -> list:
    """The measures on the ballot, grouped and labelled as the printed sheet shows them: read
    afresh for printing, from the shared reads of this version for the console's counts."""
    if printing:
        return paper.layout(
            services.list_goals(db, ws.id), services.list_measures(db, ws.id), services.voting_measures(db, ws)
        )
    return paper.layout(common.cached_goals(ws.id), common.cached_measures(ws.id), common.cached_voting_measures(ws.id))


def sheets_pdf(printed: list[tuple[int, str]], second: str | None) -> bytes:
    """The sheets just printed; in German (the workshop's main language) and ``second``."""
    return cards.sheets_pdf(
        ws,
        sheet_sections(printing=True),
        hall.join_url(common.join_base(), ws.join_code),
        printed,
        i18n.gettext_for(translation.MAIN_LANGUAGE),
        translations=services.list_translations(db, ws.id),
        second=second,
    )


@st.fragment(run_every=3)
def live_counters() -> None:
    if db.write_trouble is not None:  # until a write succeeds again
        since, reason = db.write_trouble
        st.error(
            _(
                "The database cannot be written since {time} ({reason}): ballots and proposals are not saved. "
                "Phones keep their ballots and say to try again. Free disk space or make the file writable; "
                "the next write that succeeds ends this alarm."
            ).format(time=i18n.format_time(since, common.lang()), reason=_(reason)),
            icon=":material/error:",
        )
    for problem in safety.problems(db):  # writes lost before this start, a failing safety copy
        common.show_error(problem)
    live = services.get_workshop(db, ws.id)
    counts = views.counts(db, live)
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Devices joined"), common.number(counts["devices"]))
    c2.metric(_("Proposals"), common.number(counts["measures"]))
    c3.metric(_("Ballots"), common.number(counts["ballots"]))
    g1, g2 = st.columns(2)
    # An empty table would say "empty" in English (Streamlit's text): say it in the page's language.
    per_goal = views.proposals_per_goal(db, ws.id).rename(columns={"goal": words["goal"], "proposals": _("Proposals")})
    if per_goal.empty:
        g1.caption(_(vocabulary.pick(ws.kind, *NO_GOALS)))
    else:
        # The count first: a long guiding question would push it out of view.
        g1.dataframe(per_goal[[_("Proposals"), words["goal"]]], hide_index=True, width="stretch")
    turnout = views.turnout_per_group(db, live).rename(
        columns={"group_name": _("Working group"), "devices": _("Devices"), "ballots": _("Ballots")}
    )
    if turnout.empty:
        g2.caption(_("Nobody has joined yet."))
    else:
        g2.dataframe(turnout[[_("Working group"), _("Devices"), _("Ballots")]], hide_index=True, width="stretch")


st.subheader(_("Live"))
live_counters()

st.subheader(_("In the hall"))
base = common.join_base()
link = hall.join_url(base, ws.join_code)
st.write(_("Join link for the QR code:"))
st.code(link, language=None)
if common.server_on_loopback():
    st.error(
        _(
            "The app listens on this computer only (server address {address}): tablets and phones cannot reach "
            "it, whatever the link says. Start it with --server.address 0.0.0.0 (see README)."
        ).format(address=st.get_option("server.address"))
    )
elif hall.is_local(link):
    st.error(
        _(
            "This link points at this computer only; tablets and phones cannot open it. Start the app on the "
            "network address (see README) or set the public address below."
        )
    )
with st.form("public_url", enter_to_submit=False):
    new_url = st.text_input(
        _("Public address (optional, e.g. behind a reverse proxy)"),
        value=services.public_url(db) or "",
        placeholder=f"http://{(hall.lan_addresses() or ['192.168.0.10'])[0]}:{st.get_option('server.port')}",
    )
    if st.form_submit_button(_("Save address")):
        common.act(fac, services.set_public_url, new_url)
st.write(_("Kiosk link for a shared group tablet:"))
st.code(hall.join_url(base, ws.join_code, kiosk=True), language=None)
if "projector_key" not in st.session_state or st.session_state.get("projector_for") != ws.id:
    st.session_state["projector_key"] = services.projector_key(db, fac, ws.id)
    st.session_state["projector_for"] = ws.id
languages = i18n.available_languages()
# A choice of this session kept apart from the widget, which forgets it on another page.
kept = [code for code in st.session_state.get("projector_languages_kept", languages) if code in languages]
join_languages = st.multiselect(
    _("Languages of the join instructions on the projector"),
    list(languages),
    default=kept,
    format_func=languages.get,
    key="projector_languages",
    placeholder=_("Choose languages"),
    select_all=False,
)
st.session_state["projector_languages_kept"] = list(join_languages)
st.link_button(
    _("Open the projector view"),
    f"/?view={st.session_state['projector_key']}&jl={','.join(join_languages)}",
    icon=":material/tv:",
)

with st.expander(_("Language mediators: translation desk links")):
    st.caption(
        _(
            "A link opens the translation desk for one language: the proposals still to translate, the "
            "original beside the field. It can do nothing else. Revoke it when the mediator is done."
        )
    )
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    desk_lang = c1.selectbox(_("Translation to"), list(languages), format_func=languages.get, key="desk_lang")
    if c2.button(_("Create a link"), key="desk_create", width="stretch"):
        try:
            link, key = services.create_mediator_key(db, fac, ws.id, desk_lang)
        except DomainError as exc:
            common.show_error(exc)
        else:
            # The key is shown in this session only: it is stored as a hash.
            st.session_state.setdefault("desk_links", {})[link.id] = hall.desk_url(base, key, desk_lang)
    # The offline engine (workshop/engine.py), where the machine has one: suggestions for the desk,
    # and, if switched on, what participants read until a person checked it.
    common.setting(
        st.toggle,
        _("Participants see machine translations until a person checked them"),
        ws.show_machine,
        key="show_machine",
        save=lambda machine: common.act(fac, services.set_machine_translations, ws.id, machine),
    )
    found = engines.engine()
    if found is None:
        st.caption(_("No offline translation engine on this machine: translations are made by people."))
    elif st.button(_("Translate the missing ones with the offline engine"), key="engine_fill"):
        try:
            with st.spinner(_("Translating …")):
                n = services.translate_with_engine(db, fac, ws.id, found)
        except DomainError as exc:
            common.show_error(exc)
        else:
            common.refresh()
            st.success(
                ngettext("{n} machine translation made.", "{n} machine translations made.", n).format(
                    n=common.number(n)
                )
            )
    shown_links = st.session_state.get("desk_links", {})
    for link in services.list_mediator_keys(db, fac, ws.id):
        if link.revoked:
            continue
        row = st.columns([3, 1], vertical_alignment="center")
        with row[0]:
            created = i18n.format_moment(link.created_at, common.lang())
            name = common.isolate(languages.get(link.lang, link.lang))  # an Arabic name keeps its place
            st.write(_("{language}, created {time}").format(language=name, time=created))
            if link.id in shown_links:
                url = shown_links[link.id]
                st.code(url, language=None)
                # For the mediator's tablet: its camera opens the desk (the key is too long to type).
                alt = _("QR code with the translation desk link for {language}").format(language=name)
                png = base64.b64encode(hall.qr_png(url, scale=4)).decode()
                st.html(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}" width="160" height="160">')
            else:
                st.caption(_("The link is shown once, when it is made. Lost? Revoke it and create a new one."))
        if row[1].button(_("Revoke"), key=f"desk_revoke_{link.id}", width="stretch"):
            common.act(fac, services.revoke_mediator_key, link.id)

with st.expander(_("Voting cards")):
    stats = services.card_stats(db, ws.id)
    st.write(
        ngettext(
            "{cards} card, {used} used, {revoked} revoked. Cards are required: {required}.",
            "{cards} cards, {used} used, {revoked} revoked. Cards are required: {required}.",
            stats["cards"],
        ).format(
            **{k: common.number(v) for k, v in stats.items()}, required=_("yes") if ws.rules.cards_required else _("no")
        )
    )
    st.caption(_("Switch “voting cards required” on or off in the voting rules (Set up)."))
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    n_cards = c1.number_input(_("Number of new cards"), 1, 2000, 40, key="cards_n")
    make_cards = c2.button(_("Generate cards"), key="cards_go", width="stretch")
    cards_slot = st.empty()  # the last PDF's button: emptied the moment new cards are made (see printed_pdf)
    if make_cards:
        try:
            new_cards = services.generate_cards(db, fac, ws.id, int(n_cards))
        except DomainError as exc:
            common.show_error(exc)
        else:
            # The codes exist only now (the database keeps their hashes): offer the PDF at once.
            printed_pdf("cards_pdf", new_cards, cards.cards_pdf(ws.title, link, new_cards, _))
    if made := st.session_state.get("cards_pdf"):
        cards_slot.download_button(
            _("Download cards {first}–{last} (PDF)").format(first=common.number(made[0]), last=common.number(made[1])),
            made[2],
            file_name=f"voting-cards-{ws.join_code}-{made[0]}-{made[1]}.pdf",
            mime="application/pdf",
            key="cards_pdf_dl",
            type="primary",
        )
    r1, r2 = st.columns([2, 1], vertical_alignment="bottom")
    lost = r1.number_input(_("Number of a lost card"), 1, 100000, 1, key="cards_lost")
    if r2.button(_("Revoke card"), key="cards_revoke", width="stretch"):
        try:  # asked first: a typo must not take a counted ballot away
            st.session_state["cards_revoke_ask"] = (ws.id, int(lost), services.card_use(db, fac, ws.id, int(lost)))
        except DomainError as exc:
            common.show_error(exc)
    common.show_flash("cards")
    ask = st.session_state.get("cards_revoke_ask")
    if ask and ask[0] != ws.id:  # asked in another workshop (the picker changed since): not this one's card
        del st.session_state["cards_revoke_ask"]
    elif ask:
        _ws, number, use = ask
        if use in ("revoked", "entered"):
            del st.session_state["cards_revoke_ask"]
            if use == "revoked":
                st.info(_("Card {number} is revoked already.").format(number=common.number(number)))
            else:  # an entered paper ballot: the service says what to do instead
                common.act(fac, services.revoke_card, ws.id, number, rerun=False)
        else:
            question = {
                "unused": _("Revoke card {number}? It has not been used yet."),
                "in_use": _("Revoke card {number}? A phone uses it: it can then no longer vote with this card."),
                "voted": _("Revoke card {number}? It was used to vote: that ballot is removed and no longer counts."),
            }[use]
            st.warning(question.format(number=common.number(number)))
            y1, y2 = st.columns(2)
            if y1.button(
                _("Yes, revoke card {number}").format(number=common.number(number)),
                key="cards_revoke_yes",
                type="primary",
                width="stretch",
            ):
                del st.session_state["cards_revoke_ask"]
                common.flash(_("Card {number} is revoked.").format(number=common.number(number)), "cards")
                if not common.act(fac, services.revoke_card, ws.id, number):
                    st.session_state.pop("_flash_cards", None)
            if y2.button(_("Cancel"), key="cards_revoke_no", width="stretch"):
                del st.session_state["cards_revoke_ask"]
                st.rerun()

with st.expander(_("Paper ballots")):
    paper_stats = services.paper_stats(db, ws.id)
    st.write(
        ngettext(
            "{printed} paper ballot printed, {entered} entered: {counted} counted, {invalid} invalid.",
            "{printed} paper ballots printed, {entered} entered: {counted} counted, {invalid} invalid.",
            paper_stats.printed,
        ).format(
            printed=common.number(paper_stats.printed),
            entered=common.number(paper_stats.entered),
            counted=common.number(paper_stats.counted),
            invalid=common.number(paper_stats.invalid),
        )
    )
    if paper_stats.waiting:
        st.caption(
            ngettext(
                "{n} sheet waits for its second entry.", "{n} sheets wait for their second entry.", paper_stats.waiting
            ).format(n=common.number(paper_stats.waiting))
        )
    if paper_stats.mismatch:
        st.warning(
            ngettext(
                "{n} sheet has two entries that differ: decide on the paper ballot screen.",
                "{n} sheets have two entries that differ: decide on the paper ballot screen.",
                paper_stats.mismatch,
            ).format(n=common.number(paper_stats.mismatch))
        )
    if paper_stats.stale:
        st.warning(
            ngettext(
                "{n} printed sheet was made for the ballot before a change (measures or voting rules) and cannot "
                "be entered: print new ones.",
                "{n} printed sheets were made for the ballot before a change (measures or voting rules) and "
                "cannot be entered: print new ones.",
                paper_stats.stale,
            ).format(n=common.number(paper_stats.stale))
        )
    if not ws.rules.cards_required:
        st.warning(
            _(
                "Voting cards are not required: someone could vote on a phone and on paper. Switch on "
                "“voting cards required” in the voting rules (Set up): each sheet is a card, so each counts once."
            )
        )
    st.caption(
        _(
            "Each sheet has its own number and QR code and works like a voting card: it counts once, on paper "
            "or on a phone. Print once the proposals are reviewed: the sheet lists them."
        )
    )
    p1, p2, p3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    n_sheets = p1.number_input(_("Number of sheets"), 1, 2000, 20, key="sheets_n")
    # Languages with the most measure titles translated first (the instructions are in every one).
    sections = sheet_sections()
    lines = sum(len(section.lines) for section in sections)
    covered = cards.sheet_languages(sections, common.cached_translations(ws.id), machine=ws.show_machine)
    others = sorted((c for c in languages if c != translation.MAIN_LANGUAGE), key=lambda c: -covered.get(c, 0))

    def language_option(code: str) -> str:
        if not code:
            return _("No second language")
        return ngettext(
            "{language} ({n} of {total} title translated)", "{language} ({n} of {total} titles translated)", lines
        ).format(
            language=languages.get(code, code),
            n=common.number(covered.get(code, 0)),
            total=common.number(lines),
        )

    second = p2.selectbox(
        _("Second language on the sheet"), ["", *others], format_func=language_option, key="sheets_lang"
    )
    print_now = p3.button(_("Print paper ballots"), key="sheets_go", width="stretch")
    sheets_slot = st.empty()  # the last PDF's button: emptied the moment new sheets are made
    if print_now:
        try:
            printed = services.print_sheets(db, fac, ws.id, int(n_sheets))
        except DomainError as exc:
            common.show_error(exc)
        else:
            # The codes exist only now (the database keeps their hashes): offer the PDF at once.
            printed_pdf("sheets_pdf", printed, sheets_pdf(printed, second or None))
    if made := st.session_state.get("sheets_pdf"):
        sheets_slot.download_button(
            _("Download paper ballots {first}–{last} (PDF)").format(
                first=common.number(made[0]), last=common.number(made[1])
            ),
            made[2],
            file_name=f"paper-ballots-{ws.join_code}-{made[0]}-{made[1]}.pdf",
            mime="application/pdf",
            key="sheets_pdf_dl",
            type="primary",
        )
    st.caption(
        _(
            "A sheet lost before it was entered: revoke its number under “Voting cards”. A spoiled sheet "
            "handed in: enter it as invalid."
        )
    )
    st.page_link("app_pages/paper.py", label=_("Enter paper ballots"), icon=":material/ballot:")
    common.setting(
        st.toggle,
        _("Two people enter each sheet (double entry): a sheet counts when both entries agree"),
        ws.paper_double,
        key="paper_double",
        save=lambda double: common.act(fac, services.set_paper_options, ws.id, double=double),
    )
    common.setting(
        st.toggle,
        _("The projector shows how many paper ballots are entered during the vote"),
        ws.wall_paper,
        key="wall_paper",
        save=lambda on_wall: common.act(fac, services.set_paper_options, ws.id, wall=on_wall),
    )
    if ws.phase == Phase.RESULTS:
        if services.entry_open(ws):
            st.warning(_("Paper ballots can still be entered: the results may still change."))
            if st.button(_("End the entry of paper ballots"), key="paper_close"):
                common.act(fac, services.set_paper_options, ws.id, closed=True)
        else:
            st.info(_("The entry of paper ballots has ended."))
            if st.button(_("Open the entry again"), key="paper_reopen"):
                common.act(fac, services.set_paper_options, ws.id, closed=False)
    st.markdown("**" + _("Entry links for staff") + "**")
    st.caption(
        _(
            "A link opens the paper ballot entry of this workshop on another laptop, and nothing else. "
            "With double entry, the second entry must come from another link (or from this console)."
        )
    )
    e1, e2 = st.columns([2, 1], vertical_alignment="bottom")
    entry_label = e1.text_input(
        _("Name of the link"), placeholder=_("For example: Laptop 2"), key=common.form_round("entry_label") + "name"
    )
    if e2.button(_("Create a link"), key="entry_create", width="stretch"):
        try:
            entry_link, entry_key = services.create_entry_key(db, fac, ws.id, entry_label)
        except DomainError as exc:
            common.show_error(exc)
        else:
            st.session_state.setdefault("entry_links", {})[entry_link.id] = hall.entry_url(
                base, entry_key, common.lang()
            )
            common.clear_form("entry_label")  # the next link gets a name of its own
            common.refresh()
            st.rerun()
    shown_entry = st.session_state.get("entry_links", {})
    for entry_link in services.list_entry_keys(db, fac, ws.id):
        if entry_link.revoked:
            continue
        row = st.columns([3, 1], vertical_alignment="center")
        with row[0]:
            common.literal(entry_link.label, tag="p")
            if entry_link.id in shown_entry:
                st.code(shown_entry[entry_link.id], language=None, wrap_lines=True)
            else:
                st.caption(_("The link is shown once, when it is made. Lost? Revoke it and create a new one."))
        if row[1].button(_("Revoke"), key=f"entry_revoke_{entry_link.id}", width="stretch"):
            common.act(fac, services.revoke_entry_key, entry_link.id)

with st.expander(_("Audit log")):
    log = audit.readable(services.audit_log(db, fac, ws.id), services.audit_names(db, fac, ws.id), ws.kind, _)
    st.caption(_("Newest first: each change to the workshop, with what it was before and after."))
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        column_config={
            _(audit.WHEN): st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm", width="medium"),
            **{_(header): st.column_config.TextColumn(width="medium") for _field, header in audit.COLUMNS[1:]},
        },
    )
