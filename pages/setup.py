"""Set up: create a workshop (fresh or as the next round), its vision, working groups and rules."""

import datetime as dt

import streamlit as st

from ui import common
from workshop import services, views, vision
from workshop.errors import DomainError
from workshop.model import METHOD_LABELS, Criterion, Method, Phase, VotingRules, WorkshopKind

common.page_guard()
_ = common.gettext()
db = common.get_db()
fac = common.require_facilitator()


with st.expander(_("Create a new workshop"), expanded=not services.list_workshops(db)):
    past = services.list_workshops(db)
    with st.form("create_workshop"):
        title = st.text_input(_("Title"), key="new_title")
        c1, c2 = st.columns(2)
        date = c1.date_input(_("Date"), value=dt.date.today(), key="new_date", format="DD.MM.YYYY")
        place = c2.text_input(_("Venue"), key="new_place")
        kind = st.radio(
            _("Kind of workshop"),
            list(WorkshopKind),
            horizontal=True,
            key="new_kind",
            format_func={
                WorkshopKind.VISION: _("Planning workshop: goals of a guiding vision → measures"),
                WorkshopKind.CONFERENCE: _("Integration conference: a theme with guiding questions → recommendations"),
            }.get,
        )
        previous = st.selectbox(
            _("Next round of a past workshop (its measures come along)"),
            [None] + [w.id for w in past],
            format_func=lambda wid: (
                _("— a fresh workshop —")
                if wid is None
                else next(f"{w.title} ({w.join_code})" for w in past if w.id == wid)
            ),
            key="new_previous",
        )
        if st.form_submit_button(_("Create"), type="primary"):
            try:
                ws = services.create_workshop(
                    db,
                    fac,
                    title=title,
                    date_=date,
                    place=place,
                    kind=kind,
                    previous_id=previous,
                )
                services.set_current_workshop(db, fac, ws.id)
            except DomainError as exc:
                common.show_error(exc)
            else:
                common.refresh()
                st.success(_("Workshop created. Its code is {code}.").format(code=ws.join_code))

ws = common.workshop_picker(fac)
conference = ws.kind == WorkshopKind.CONFERENCE
goal_word = _("Guiding questions") if conference else _("Goals")

st.subheader(_("Theme and guiding questions") if conference else _("Guiding vision and goals"))
goals = services.list_goals(db, ws.id)
if ws.vision_title:
    common.literal(ws.vision_title, tag="h3")
for g in goals:
    common.literal(f"{g.position}. {g.title}" + (f" — {g.description}" if g.description else ""), tag="p")

tab_file, tab_reuse, tab_add = st.tabs([_("Import a file"), _("Reuse a past vision"), _("Add one")])
with tab_file:
    st.caption(_("YAML (see docs/vision-format.md) or CSV with the columns goal and description."))
    upload = st.file_uploader(_("Vision file"), type=["yaml", "yml", "csv"], key="vision_file")
    if upload is not None:
        data = upload.getvalue()
        try:
            if upload.name.lower().endswith(".csv"):
                spec = vision.parse_csv(data, title=ws.vision_title)
            else:
                spec = vision.parse(data)
        except DomainError as exc:
            common.show_error(exc)
        else:
            st.write(_("Preview: nothing is saved yet."))
            vtitle = st.text_input(_("Title of the vision"), value=spec.title, key="import_title")
            st.dataframe(
                {_("Goal"): [g[0] for g in spec.goals], _("Short description"): [g[1] for g in spec.goals]},
                hide_index=True,
                width="stretch",
            )
            if spec.groups:
                st.caption(_("Working groups: {names}").format(names=", ".join(spec.groups)))
            if st.button(_("Save this vision"), type="primary", key="import_save") and common.act(
                fac,
                services.replace_vision,
                ws.id,
                title=vtitle,
                description=spec.description,
                goals=spec.goals,
                groups=spec.groups or None,
            ):
                st.rerun()
with tab_reuse:
    others = [w for w in services.list_workshops(db) if w.id != ws.id and w.vision_title]
    if others:
        src = st.selectbox(
            _("Past workshop"),
            [w.id for w in others],
            key="reuse_src",
            format_func={w.id: f"{w.title} — {w.vision_title}" for w in others}.get,
        )
        if st.button(_("Use its vision"), key="reuse_go") and common.act(fac, services.reuse_vision, ws.id, src):
            st.rerun()
    else:
        st.caption(_("No past workshop has a vision yet."))
with tab_add, st.form("add_goal", clear_on_submit=True):
    gt = st.text_input(_("Guiding question") if conference else _("Goal"), key="goal_title")
    gd = st.text_area(_("Short description"), key="goal_desc")
    if st.form_submit_button(_("Add")) and common.act(fac, services.add_goal, ws.id, gt, gd):
        st.rerun()

st.subheader(_("Working groups"))
with st.form("groups"):
    names = st.text_area(
        _("One working group per line"),
        value="\n".join(g.name for g in services.list_groups(db, ws.id)),
        key="group_names",
    )
    if st.form_submit_button(_("Save working groups")) and common.act(
        fac, services.set_groups, ws.id, [n for n in names.splitlines() if n.strip()]
    ):
        st.rerun()

st.subheader(_("Voting rules"))
rules = ws.rules
ballots = services.count_ballots(db, ws.id, rules.method)
locked = ws.phase == Phase.VOTE
if locked:
    st.info(_("The rules are locked while voting runs. Close the vote first (console → phase)."))
with st.form("rules"):
    method = st.radio(
        _("Method"),
        list(Method),
        index=list(Method).index(rules.method),
        horizontal=True,
        format_func=lambda m: _(METHOD_LABELS[m]),
        key="rules_method",
        disabled=locked,
    )
    c1, c2, c3 = st.columns(3)
    dots = c1.number_input(_("Dots per person"), 1, 100, rules.dots_per_person, key="rules_dots", disabled=locked)
    cap = c2.number_input(
        _("Maximum dots per measure"), 1, 100, rules.max_per_measure, key="rules_cap", disabled=locked
    )
    budget = c3.number_input(
        _("Dot budget per goal (0 = none)"), 0, 100, rules.goal_budget or 0, key="rules_budget", disabled=locked
    )
    c4, c5 = st.columns(2)
    limit = c4.number_input(
        _("Approval limit (0 = none)"), 0, 1000, rules.approval_limit or 0, key="rules_limit", disabled=locked
    )
    shortlist = c5.number_input(
        _("Shortlist size for ranking"), 2, 50, rules.shortlist_size, key="rules_short", disabled=locked
    )
    st.caption(_("Rating criteria and their weights"))
    weights = {}
    cols = st.columns(max(1, len(rules.criteria)))
    for col, c in zip(cols, rules.criteria, strict=False):
        weights[c.key] = col.number_input(
            _(c.label), 0.1, 100.0, float(c.weight), step=0.5, key=f"w_{c.key}", disabled=locked
        )
    cards_required = st.checkbox(
        _("Voting cards required (single-use codes, printed in the console)"),
        value=rules.cards_required,
        key="rules_cards",
        disabled=locked,
    )
    confirm = False
    if ballots:
        confirm = st.checkbox(
            _("I know that this change affects {count} ballots already cast.").format(count=ballots),
            key="rules_confirm",
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
        if common.act(fac, services.set_rules, ws.id, new, confirm_affected=ballots if confirm else None, rerun=False):
            st.success(_("Rules saved."))

if rules.method == Method.RANKING or rules.shortlist:
    st.caption(_("Shortlist for the ranking: {n} measures.").format(n=len(rules.shortlist) or _("all")))
    sources = [m for m in ("dots", "approval", "rating") if services.count_ballots(db, ws.id, m)]
    if sources and not locked:
        src = st.selectbox(
            _("Take the top {k} of an earlier round").format(k=rules.shortlist_size), sources, key="short_src"
        )
        if st.button(_("Make the shortlist"), key="short_go"):
            top = views.ranking(db, ws, src).nsmallest(rules.shortlist_size, "rank_overall")["measure_id"]
            if common.act(fac, services.set_shortlist, ws.id, list(top)):
                st.rerun()

st.subheader(_("Data protection"))
with st.form("privacy"):
    contact = st.text_area(
        _("Contact for data protection questions"),
        value=ws.privacy_contact,
        placeholder=_("e.g. Bezirksamt Harburg, Integrationsbeauftragte, phone and e-mail"),
        key="privacy_contact",
    )
    months = st.number_input(
        _("Months the data is kept"), 1, services.RETENTION_MONTHS_MAX, ws.retention_months, key="privacy_months"
    )
    if st.form_submit_button(_("Save")):
        if common.act(fac, services.set_privacy, ws.id, contact, int(months), rerun=False):
            st.success(_("Saved. The privacy notice for participants shows it now."))
ends = services.retention_ends(ws)
if ends is not None:
    if ends < dt.date.today():
        st.warning(
            _("The retention period ended on {date}. Please delete this workshop.").format(date=f"{ends:%d.%m.%Y}")
        )
    else:
        st.caption(_("Participants read that the data is deleted after {date}.").format(date=f"{ends:%d.%m.%Y}"))
st.page_link("pages/privacy.py", label=_("Read the privacy notice"), icon=":material/shield_person:")

with st.expander(_("Delete this workshop")):
    st.write(
        _(
            "Deletes the workshop with its vision, proposals, ballots, voting cards, device links and log. "
            "Nothing of it stays in the database file. Download what you need first."
        )
    )
    typed = st.text_input(_("Type the workshop code {code} to confirm").format(code=ws.join_code), key="delete_code")
    if st.button(_("Delete for good"), type="primary", key="delete_go", disabled=typed.strip().upper() != ws.join_code):
        if common.act(fac, services.delete_workshop, ws.id, rerun=False):
            st.session_state.pop("delete_code", None)
            st.rerun()
