"""Set up: create a workshop (fresh or as the next round), its vision, working groups and rules.

Every form here edits what is stored for the current workshop: its widget keys carry the workshop
and a fingerprint of the stored values (common.edit_form), and each save names what the form
showed, so a form drawn for another workshop or before a colleague's change cannot be saved.
"""

import datetime as dt

import streamlit as st

from ui import common, files
from workshop import i18n, methods, services, views, vision, vocabulary
from workshop.errors import N_, DomainError, ValidationError
from workshop.model import Action, Criterion, Method, Phase, Role, VotingRules, WorkshopKind, allowed

_ = common.gettext()
ngettext = common.ngettext()
VISION_FILE_MAX = 1_000_000  # bytes; a real vision file is a few kilobytes
db = common.get_db()
fac = common.require_facilitator()

KIND_LABELS = {
    WorkshopKind.VISION: _("Planning workshop: goals of a guiding vision → measures"),
    WorkshopKind.CONFERENCE: _("Integration conference: a theme with guiding questions → recommendations"),
}


def parse_typed_date(text: str, example: str) -> dt.date | None:
    """The typed date (empty: none), or a translated refusal that names the expected form."""
    if not text.strip():
        return None
    try:
        return i18n.parse_date(text, common.lang())
    except ValueError:
        raise ValidationError(
            N_("Please type the date as day, month and year, for example {example}."), example=example
        ) from None


def create_section() -> None:
    past = services.list_workshops(db)
    k = common.form_round("new")
    with (
        # A new key after each workshop created: the expander starts closed again (the form is done).
        st.expander(_("Create a new workshop"), expanded=not past, key=f"{k}open"),
        st.form("create_workshop", enter_to_submit=False),
    ):
        title = st.text_input(_("Title"), key=f"{k}title")
        c1, c2 = st.columns(2)
        # Typed, in the reader's order of day, month and year (Streamlit's calendar speaks English
        # to screen readers, whatever the page's language).
        example = i18n.format_date_entry(dt.date.today(), common.lang())
        typed_date = c1.text_input(
            _("Date"),
            value=example,
            key=f"{k}date",
            help=_("Day, month and year, for example {example}").format(example=example),
        )
        place = c2.text_input(_("Venue"), key=f"{k}place")
        kind = st.radio(
            _("Kind of workshop"), list(WorkshopKind), horizontal=True, key=f"{k}kind", format_func=KIND_LABELS.get
        )
        theme = st.text_input(_("Theme or guiding vision (optional, can be set later)"), key=f"{k}vision")
        previous = st.selectbox(
            _("Next round of a past workshop (its proposals come along)"),
            [None] + [w.id for w in past],
            format_func=lambda wid: (
                _("— a fresh workshop —")
                if wid is None
                else next(f"{w.title} ({w.join_code})" for w in past if w.id == wid)
            ),
            key=f"{k}previous",
        )
        if st.form_submit_button(_("Create"), type="primary"):
            try:
                date = parse_typed_date(typed_date, example)
                ws = services.create_workshop(
                    db, fac, title=title, date_=date, place=place, kind=kind, vision_title=theme, previous_id=previous
                )
                services.set_current_workshop(db, fac, ws.id)
            except DomainError as exc:
                common.show_error(exc)
            else:
                common.refresh()
                common.clear_form("new")
                common.flash(
                    _("Workshop “{title}” created; it is now the current workshop. Its code is {code}.").format(
                        title=ws.title, code=ws.join_code
                    )
                )
                st.rerun()


def vision_section(ws, words: dict) -> None:
    """The theme (or guiding vision): title, description and the kind of workshop."""
    stored = (ws.vision_title, ws.vision_description, str(ws.kind))
    form_key, key, shown = common.edit_form("vision", ws.id, stored)
    editable = allowed(ws.phase, Role.FACILITATOR, Action.EDIT_VISION)
    with st.form(form_key, enter_to_submit=False):
        title = st.text_input(words["vision"], value=ws.vision_title, key=f"{key}.title", disabled=not editable)
        description = st.text_area(
            _("Description"), value=ws.vision_description, key=f"{key}.description", disabled=not editable
        )
        kind = st.radio(
            _("Kind of workshop"),
            list(WorkshopKind),
            index=list(WorkshopKind).index(ws.kind),
            format_func=KIND_LABELS.get,
            key=f"{key}.kind",
            disabled=not editable,
        )
        if st.form_submit_button(_("Save"), disabled=not editable) and common.act(
            fac,
            services.set_vision_text,
            ws.id,
            title=title,
            description=description,
            kind=kind,
            expected=shown,
            rerun=False,
        ):
            common.flash(_("Saved."), "vision")
            st.rerun()
    common.show_flash("vision")


def goal_row(goal, goals: list, counts: dict, words: dict, editable: bool) -> None:
    """One goal (guiding question): its text, up and down, edit, remove."""
    with st.container(border=True):
        text, up, down = st.columns([8, 1, 1], vertical_alignment="center")
        with text:
            common.literal_block(
                [(f"{common.number(goal.position)}. {goal.title}", "pw-measure"), (goal.description, "pw-muted")]
            )
        up.button(
            "↑",
            key=f"goal_up_{goal.id}",
            help=_("Move up"),
            disabled=not editable or goal.position == 1,
            on_click=common.act,
            args=(fac, services.move_goal, goal.id, -1),
            kwargs={"rerun": False},
        )
        down.button(
            "↓",
            key=f"goal_down_{goal.id}",
            help=_("Move down"),
            disabled=not editable or goal.position == len(goals),
            on_click=common.act,
            args=(fac, services.move_goal, goal.id, 1),
            kwargs={"rerun": False},
        )
        if not editable:
            return
        with st.expander(_("Edit or remove")):
            form_key, key, shown = common.edit_form("goal", goal.id, (goal.title, goal.description))
            with st.form(form_key, enter_to_submit=False):
                title = st.text_input(words["goal"], value=goal.title, key=f"{key}.title")
                description = st.text_area(_("Short description"), value=goal.description, key=f"{key}.description")
                if st.form_submit_button(_("Save")) and common.act(
                    fac, services.edit_goal, goal.id, title, description, expected=shown
                ):
                    pass
            in_goal = counts.get(goal.id, 0)
            move_to = None
            others = [g for g in goals if g.id != goal.id]
            if in_goal and others:
                st.caption(
                    ngettext(
                        "{n} proposal belongs here. Removing moves it to:",
                        "{n} proposals belong here. Removing moves them to:",
                        in_goal,
                    ).format(n=in_goal)
                )
                move_to = st.selectbox(
                    words["move_to_goal"],
                    [g.id for g in others],
                    format_func={g.id: common.isolate(g.title) for g in others}.get,
                    key=f"goal_move_{goal.id}",
                    label_visibility="collapsed",
                )
            if st.button(_("Remove"), key=f"goal_remove_{goal.id}") and common.act(
                fac, services.remove_goal, goal.id, move_to=move_to, rerun=False
            ):
                common.flash(_("Removed: {title}").format(title=goal.title), "goals_top")
                st.rerun()


def goals_section(ws, words: dict) -> None:
    goals = services.list_goals(db, ws.id)
    editable = allowed(ws.phase, Role.FACILITATOR, Action.EDIT_VISION)
    st.markdown(f"**{common.md_escape(words['goals'])}**")
    if not goals:
        st.caption(
            common.say(
                N_("None yet: add one below, import a file or reuse a past vision."),
                N_("None yet: add one below, import a file or reuse a past theme."),
            )
        )
    common.show_flash("goals_top")
    counts = services.measures_per_goal(db, ws.id)
    for goal in goals:
        goal_row(goal, goals, counts, words, editable)
    if not editable:
        return
    tab_add, tab_file, tab_reuse = st.tabs(
        [_("Add one"), _("Import a file"), common.say(N_("Reuse a past vision"), N_("Reuse a past theme"))],
        key="setup_goal_tab",
        on_change="rerun",
    )
    with tab_add:
        add_goal_form(ws, words)
        common.show_flash("goals")
    with tab_file:
        import_form(ws)
    with tab_reuse:
        reuse_form(ws)


def add_goal_form(ws, words: dict) -> None:
    k = common.form_round("goal_add")
    with st.form("add_goal", enter_to_submit=False):
        title = st.text_input(words["goal"], key=f"{k}title")
        description = st.text_area(_("Short description"), key=f"{k}desc")
        if st.form_submit_button(_("Add")) and common.act(
            fac, services.add_goal, ws.id, title, description, rerun=False
        ):
            common.clear_form("goal_add")
            common.flash(_("Added: {title}").format(title=title.strip()), "goals")
            st.rerun()


def import_form(ws) -> None:
    st.caption(
        common.say(
            N_("YAML (see docs/vision-format.md) or CSV with the columns goal and description."),
            N_(
                "YAML (see docs/vision-format.md, with “kind: conference”) or CSV with the columns goal (the "
                "guiding question) and description."
            ),
        )
    )
    round_ = st.session_state.setdefault("vision_upload_round", 0)
    upload = files.file_picker(
        common.say(N_("Vision file"), N_("File with the theme and guiding questions")),
        key=f"vision_file_{round_}",
        accept=["yaml", "yml", "csv"],
        max_bytes=VISION_FILE_MAX,
        texts={
            "choose": _("Choose a file"),
            "none": _("No file chosen"),
            "hint": _("YAML or CSV, at most 1 MB"),
            "tooBig": common.say(
                N_("This file is larger than 1 MB. A vision file is a few kilobytes: please check the file."),
                N_("This file is larger than 1 MB. A file with a theme is a few kilobytes: please check the file."),
            ),
            "unreadable": _("The file could not be read. Please choose it again."),
        },
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        if upload.name.lower().endswith(".csv"):
            spec = vision.parse_csv(data, title=ws.vision_title)
        else:
            spec = vision.parse(data)
    except DomainError as exc:
        common.show_error(exc)
        return
    st.write(_("Preview: nothing is saved yet."))
    # The preview speaks the words of the kind the workshop will have (the file may name it).
    kind = spec.workshop.get("kind") or ws.kind
    vtitle = st.text_input(
        _(vocabulary.term(kind, "vision_title")),
        value=spec.title,
        key=f"import_title_{round_}",
    )
    st.dataframe(
        {
            _(vocabulary.term(kind, "goal")): [g[0] for g in spec.goals],
            _("Short description"): [g[1] for g in spec.goals],
        },
        hide_index=True,
        width="stretch",
    )
    for line in vision.summary(spec, _, ngettext):
        st.caption(common.md_escape(line))
    save = _(vocabulary.term(kind, "save_vision"))
    if st.button(save, type="primary", key=f"import_save_{round_}") and common.act(
        fac, services.replace_vision, ws.id, **{**vision.vision_args(spec), "title": vtitle}, rerun=False
    ):
        st.session_state["vision_upload_round"] = round_ + 1
        common.flash(
            where="goals_top",
            message=(
                ngettext(
                    "Imported “{title}” with {n} guiding question.",
                    "Imported “{title}” with {n} guiding questions.",
                    len(spec.goals),
                )
                if kind == WorkshopKind.CONFERENCE
                else ngettext(
                    "Imported “{title}” with {n} goal.", "Imported “{title}” with {n} goals.", len(spec.goals)
                )
            ).format(title=vtitle, n=len(spec.goals)),
        )
        st.rerun()


def reuse_form(ws) -> None:
    others = [w for w in services.list_workshops(db) if w.id != ws.id and w.vision_title]
    if not others:
        st.caption(common.say(N_("No past workshop has a vision yet."), N_("No past workshop has a theme yet.")))
        return
    src = st.selectbox(
        _("Past workshop"),
        [w.id for w in others],
        key="reuse_src",
        format_func={w.id: f"{common.isolate(w.title)} — {common.isolate(w.vision_title)}" for w in others}.get,
    )
    use = common.say(N_("Use its vision"), N_("Use its theme and guiding questions"))
    if st.button(use, key="reuse_go") and common.act(fac, services.reuse_vision, ws.id, src, rerun=False):
        common.flash(_("Saved."), "goals_top")
        st.rerun()


def groups_section(ws) -> None:
    st.subheader(_("Working groups"))
    stored = [g.name for g in services.list_groups(db, ws.id)]
    form_key, key, shown = common.edit_form("groups", ws.id, stored)
    with st.form(form_key, enter_to_submit=False):
        names = st.text_area(_("One working group per line"), value="\n".join(stored), key=f"{key}.names")
        if st.form_submit_button(_("Save working groups")) and common.act(
            fac, services.set_groups, ws.id, [n for n in names.splitlines() if n.strip()], expected=shown, rerun=False
        ):
            common.flash(_("Working groups saved."), "groups")
            st.rerun()
    common.show_flash("groups")


def rules_section(ws) -> None:
    st.subheader(_("Voting rules"))
    rules = ws.rules
    ballots = services.count_ballots(db, ws.id, rules.method)
    locked = ws.phase == Phase.VOTE
    if locked:
        st.info(_("The rules are locked while voting runs. Close the vote first (console → phase)."))
    form_key, key, shown = common.edit_form("rules", ws.id, rules)
    with st.form(form_key, enter_to_submit=False):
        method = st.radio(
            _("Method"),
            list(Method),
            index=list(Method).index(rules.method),
            horizontal=True,
            format_func=lambda m: _(methods.of(m).label),
            key=f"{key}.method",
            disabled=locked,
        )
        c1, c2, c3 = st.columns(3)
        dots = c1.number_input(_("Dots per person"), 1, 100, rules.dots_per_person, key=f"{key}.dots", disabled=locked)
        cap = c2.number_input(
            common.say(N_("Maximum dots per measure"), N_("Maximum dots per recommendation")),
            1,
            100,
            rules.max_per_measure,
            key=f"{key}.cap",
            disabled=locked,
        )
        budget = c3.number_input(
            common.say(N_("Dot budget per goal (0 = none)"), N_("Dot budget per guiding question (0 = none)")),
            0,
            100,
            rules.goal_budget or 0,
            key=f"{key}.budget",
            disabled=locked,
        )
        c4, c5 = st.columns(2)
        limit = c4.number_input(
            _("Approval limit (0 = none)"), 0, 1000, rules.approval_limit or 0, key=f"{key}.limit", disabled=locked
        )
        shortlist = c5.number_input(
            _("Shortlist size for ranking"), 2, 50, rules.shortlist_size, key=f"{key}.short", disabled=locked
        )
        st.caption(_("Rating criteria and their weights"))
        weights = {}
        for col, c in zip(st.columns(max(1, len(rules.criteria))), rules.criteria, strict=False):
            weights[c.key] = col.number_input(
                common.md_escape(_(c.label)),
                0.1,
                100.0,
                float(c.weight),
                step=0.5,
                key=f"{key}.w_{c.key}",
                disabled=locked,
            )
        cards_required = st.checkbox(
            _("Voting cards required (single-use codes, printed in the console)"),
            value=rules.cards_required,
            key=f"{key}.cards",
            disabled=locked,
        )
        confirm = False
        if ballots:
            confirm = st.checkbox(
                ngettext(
                    "I know that this change affects {count} ballot already cast.",
                    "I know that this change affects {count} ballots already cast.",
                    ballots,
                ).format(count=ballots),
                key=f"{key}.confirm",
                disabled=locked,
            )
        if st.form_submit_button(_("Save rules"), disabled=locked):
            new = VotingRules(
                method=method,
                dots_per_person=int(dots),
                max_per_measure=int(cap),
                goal_budget=int(budget) or None,
                approval_limit=int(limit) or None,
                criteria=tuple(Criterion(c.key, c.label, float(weights[c.key])) for c in rules.criteria),
                shortlist_size=int(shortlist),
                shortlist=rules.shortlist,
                cards_required=bool(cards_required),
            )
            if common.act(
                fac,
                services.set_rules,
                ws.id,
                new,
                confirm_affected=ballots if confirm else None,
                expected=shown,
                rerun=False,
            ):
                common.flash(_("Rules saved."), "rules")
                st.rerun()
    common.show_flash("rules")
    shortlist_tools(ws, locked)


def shortlist_tools(ws, locked: bool) -> None:
    rules = ws.rules
    if not (methods.of(rules.method).uses_shortlist or rules.shortlist):
        return
    size = len(rules.shortlist)
    if not size:
        shortlist = common.say(
            N_("Shortlist for the ranking: all measures."), N_("Shortlist for the ranking: all recommendations.")
        )
    elif ws.kind == WorkshopKind.CONFERENCE:
        shortlist = ngettext(
            "Shortlist for the ranking: {n} recommendation.", "Shortlist for the ranking: {n} recommendations.", size
        ).format(n=size)
    else:
        shortlist = ngettext(
            "Shortlist for the ranking: {n} measure.", "Shortlist for the ranking: {n} measures.", size
        ).format(n=size)
    st.caption(shortlist)
    sources = [m for m in ("dots", "approval", "rating") if services.count_ballots(db, ws.id, m)]
    if sources and not locked:
        src = st.selectbox(
            _("Take the top {k} of an earlier round").format(k=rules.shortlist_size), sources, key="short_src"
        )
        if st.button(_("Make the shortlist"), key="short_go"):
            top = views.ranking(db, ws, src).nsmallest(rules.shortlist_size, "rank_overall")["measure_id"]
            common.act(fac, services.set_shortlist, ws.id, list(top))


def privacy_section(ws) -> None:
    st.subheader(_("Data protection"))
    stored = (ws.privacy_contact, ws.retention_months)
    form_key, key, shown = common.edit_form("privacy", ws.id, stored)
    with st.form(form_key, enter_to_submit=False):
        contact = st.text_area(
            _("Contact for data protection questions"),
            value=ws.privacy_contact,
            placeholder=_("e.g. Bezirksamt Harburg, Integrationsbeauftragte, phone and e-mail"),
            key=f"{key}.contact",
        )
        months = st.number_input(
            _("Months the data is kept"), 1, services.RETENTION_MONTHS_MAX, ws.retention_months, key=f"{key}.months"
        )
        if st.form_submit_button(_("Save")) and common.act(
            fac, services.set_privacy, ws.id, contact, int(months), expected=shown, rerun=False
        ):
            common.flash(_("Saved. The privacy notice for participants shows it now."), "privacy")
            st.rerun()
    common.show_flash("privacy")
    last = services.last_activity(db, ws.id)
    ends = services.retention_ends(ws, last)
    if ends is not None:
        when = common.format_date(ends, style="long")
        if ends < dt.date.today():
            st.warning(_("The retention period ended on {date}. Please delete this workshop.").format(date=when))
        else:
            st.caption(
                ngettext(
                    "Participants read that the data is deleted after {date}: {months} month after the workshop "
                    "or its last activity ({last}), whichever is later.",
                    "Participants read that the data is deleted after {date}: {months} months after the workshop "
                    "or its last activity ({last}), whichever is later.",
                    ws.retention_months,
                ).format(date=when, months=ws.retention_months, last=common.format_date(last or ws.date))
            )
    st.page_link("app_pages/privacy.py", label=_("Read the privacy notice"), icon=":material/shield_person:")


def delete_section(ws) -> None:
    with st.expander(_("Delete this workshop")):
        st.write(
            common.say(
                N_(
                    "Deletes the workshop with its vision, proposals, ballots, voting cards, device links and log. "
                    "Nothing of it stays in the database file. Download what you need first."
                ),
                N_(
                    "Deletes the workshop with its theme, proposals, ballots, voting cards, device links and log. "
                    "Nothing of it stays in the database file. Download what you need first."
                ),
            )
        )
        typed = st.text_input(
            _("Type the workshop code {code} to confirm").format(code=ws.join_code), key="delete_code"
        )
        if st.button(
            _("Delete for good"), type="primary", key="delete_go", disabled=typed.strip().upper() != ws.join_code
        ) and common.act(fac, services.delete_workshop, ws.id, rerun=False):
            common.forget("delete_code")
            common.flash(_("Deleted: {title}").format(title=ws.title))
            st.rerun()


common.show_flash()
create_section()
ws = common.workshop_picker(fac)
words = vocabulary.words(ws.kind, _)
st.subheader(words["vision_and_goals"])
vision_section(ws, words)
goals_section(ws, words)
groups_section(ws)
rules_section(ws)
privacy_section(ws)
delete_section(ws)
