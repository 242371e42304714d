"""Results for the facilitation team and staff: rankings, turnout, robustness, ratings, downloads."""

import dataclasses
import re
import unicodedata

import streamlit as st

from ui import common
from workshop import analysis, backup, charts, exports, i18n, methods, report, scoring, services, views, vocabulary
from workshop.errors import N_
from workshop.model import Method, Phase, Workshop, WorkshopKind

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
fac = common.require_facilitator()

TOP_K = 5
RESAMPLES = 500
CHART_CONFIG = {"displayModeBar": False}


@st.cache_data(ttl=2, show_spinner=False, max_entries=16)
def ballots_by_method(workshop_id: str) -> dict[str, int]:
    """Ballots per scoring method (only methods that have ballots)."""
    database = common.get_db()
    counts = {key: services.count_ballots(database, workshop_id, m.ballot_method) for key, m in scoring.METHODS.items()}
    return {key: n for key, n in counts.items() if n}


@st.cache_data(ttl=2, show_spinner=False, max_entries=16)
def paper_counts(workshop_id: str, ballot_method: str) -> tuple[services.Channels, int]:
    """A method's ballots by channel, and the paper ballots printed for the workshop (0: it takes none)."""
    database = common.get_db()
    channels = services.channel_counts(database, workshop_id, ballot_method)
    return channels, services.paper_stats(database, workshop_id).printed


def _rankable(workshop: Workshop, method_key: str):
    """The measures a method ranks (a Borda shortlist ranks only the shortlisted ones), as views.ranking."""
    measures = views.measures_frame(common.get_db(), workshop.id)
    if methods.of(scoring.METHODS[method_key].ballot_method).uses_shortlist and workshop.rules.shortlist:
        measures = measures[measures["id"].isin(workshop.rules.shortlist)]
    return measures


@st.cache_data(ttl=15, show_spinner=False, max_entries=32)
def results(workshop_id: str, method_key: str, ballots: int, version: int) -> dict:
    """Everything the page shows for one workshop and method (language-neutral frames), made anew
    when the method's ballots or the workshop's version change (on any app process), and after
    15 s for what neither counts: a ballot replaced by a new one, devices joining (turnout)."""
    database = common.get_db()
    ws = services.get_workshop(database, workshop_id)
    method = scoring.METHODS[method_key].ballot_method
    criteria = ws.rules.criteria
    votes = views.votes_frame(database, ws.id, method, channel=True)
    measures = _rankable(ws, method_key)
    ranked = views.ranking(database, ws, method_key)
    with_method = dataclasses.replace(ws, rules=dataclasses.replace(ws.rules, method=method))
    rankings = {key: views.ranking(database, ws, key) for key in ballots_by_method(ws.id)}
    out = {
        "ranked": ranked,
        "votes": votes,
        "bootstrap": analysis.bootstrap_scores(method_key, votes, measures, criteria, n=RESAMPLES, seed=0, k=TOP_K),
        "consensus": analysis.consensus(votes, method_key, measures),
        "turnout": analysis.turnout(views.turnout_per_group(database, with_method)),
        "stability": analysis.stability(rankings, TOP_K),
        "rating_ranked": rankings.get("rating"),
        "rating_votes": views.votes_frame(database, ws.id, Method.RATING) if "rating" in rankings else None,
    }
    return out


def percent(value: float) -> str:
    return i18n.format_percent(value, common.lang())


def file_stem(ws: Workshop) -> str:
    """An ASCII file name from the workshop's date and title (user text never reaches a path as is)."""
    ascii_title = unicodedata.normalize("NFKD", ws.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()[:40] or "workshop"
    return f"{ws.date.isoformat()}-{slug}" if ws.date else slug


st.title(_("Results"))

# --- which workshop, which method ----------------------------------------------------------------
workshops = services.list_workshops(db)
if not workshops:
    st.info(_("There is no workshop yet."))
    st.stop()
current = services.current_workshop(db)
ids = [w.id for w in workshops]
names = {w.id: f"{common.isolate(w.title)} · {common.format_date(w.date)}" for w in workshops}
workshop_key = common.keyed_by_language("results_workshop")
if st.session_state.get(workshop_key) not in ids:
    st.session_state.pop(workshop_key, None)
wid = st.selectbox(
    _("Workshop"),
    ids,
    index=None if workshop_key in st.session_state else ids.index(current.id) if current and current.id in ids else 0,
    format_func=names.get,
    key=workshop_key,
    help=_("Choosing a workshop here does not change the workshop participants see."),
)
ws = services.get_workshop(db, wid)
words = vocabulary.words(ws.kind, _)
common.speak_for(ws.kind)
say = common.say


goals = services.list_goals(db, ws.id)
available = ballots_by_method(ws.id)
stem = file_stem(ws)

if not available:
    st.info(_("No ballots yet. Rankings, charts and reports appear once participants have voted."))
    st.download_button(
        _("Backup (JSON)"),
        data=lambda: backup.dumps(backup.export_workshop(common.get_db(), wid)).encode("utf-8"),
        file_name=f"{stem}-backup.json",
        mime="application/json",
        on_click="ignore",
        key="dl_backup_empty",
        icon=":material/save:",
    )
    st.stop()

own = scoring.METHOD_FOR_BALLOTS[ws.rules.method]
keys = list(available)
method_state = common.keyed_by_language("results_method")
if st.session_state.get(method_state) not in keys:
    st.session_state.pop(method_state, None)
method_key = st.selectbox(
    _("Scoring method"),
    keys,
    index=None if method_state in st.session_state else keys.index(own) if own in keys else 0,
    format_func=lambda k: ngettext("{method} ({n} ballot)", "{method} ({n} ballots)", available[k]).format(
        method=_(scoring.METHODS[k].label), n=common.number(available[k])
    ),
    key=method_state,
)
method = scoring.METHODS[method_key]
voting = methods.of(method.ballot_method)
st.caption(
    _("{explanation} Tie-break: {rule}").format(
        explanation=_(method.explain(ws.kind)), rule=_(method.tie_break(ws.kind))
    )
)

channels, printed = paper_counts(ws.id, str(method.ballot_method))
takes_paper = bool(printed or channels.paper or channels.invalid)
by_channel = report.ballots_by_channel(channels, _, ngettext, common.number) if takes_paper else ""
if takes_paper and ws.phase == Phase.RESULTS and services.entry_open(ws):
    st.info(_("Paper ballots are still being entered, so the results may still change."), icon=":material/edit_note:")

data = results(ws.id, method_key, available[method_key], common.cached_version(ws.id))
# Each measure in the page's language where it has a translation participants may see, as on their
# phones; the original beside it (in the charts in small type under the title, in the table a column).
translations = common.cached_translations(ws.id)
# ``ranked`` stays as it was written: the downloads carry the originals (and their German versions).
ranked = data["ranked"]
reader = views.for_reader(ranked, translations, common.lang(), machine=ws.show_machine)
reader_titles = dict(zip(reader["measure_id"], reader["title"], strict=True)) if not reader.empty else {}

# --- filters --------------------------------------------------------------------------------------
goal_ids = [g.id for g in goals]
goal_names = {g.id: f"{common.number(g.position)}. {g.title}" for g in goals}
group_names = sorted({g for g in ranked["group_name"] if g})
f1, f2 = st.columns(2)
goal_filter = f1.selectbox(
    words["goal"],
    [None, *goal_ids],
    format_func=lambda g: words["all_goals"] if g is None else common.isolate(goal_names[g]),
    key=common.keyed_by_language("results_goal"),
)
group_filter = f2.selectbox(
    _("Proposed in working group"),
    [None, *group_names],
    format_func=lambda g: _("All working groups") if g is None else g,
    key=common.keyed_by_language("results_group"),
)
shown = reader
if goal_filter:
    shown = shown[shown["goal_id"] == goal_filter]
if group_filter:
    shown = shown[shown["group_name"] == group_filter]
shown_goals = [g for g in goals if g.id in set(shown["goal_id"])]

tab_rank, tab_turnout, tab_robust, tab_ratings, tab_downloads = st.tabs(
    [_("Ranking"), _("Turnout"), _("Robustness"), _("Ratings"), _("Downloads")]
)

# --- ranking --------------------------------------------------------------------------------------
with tab_rank:
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Ballots"), common.number(available[method_key]))
    c2.metric(say(N_("Measures ranked"), N_("Recommendations ranked")), common.number(len(ranked)))
    c3.metric(say(N_("Measures shown"), N_("Recommendations shown")), common.number(len(shown)))
    if by_channel:
        st.caption(by_channel)
    if shown.empty:
        st.info(say(N_("No measures match the filters."), N_("No recommendations match the filters.")))
    else:
        colours = charts.goal_colours([g.title for g in goals])  # the same colour per goal everywhere
        st.plotly_chart(
            charts.ranking_bars(
                shown, _("Ranking overall"), _(method.label), top=10, colours=colours, legend=True, number=common.number
            ),
            width="stretch",
            config=CHART_CONFIG,
            key="chart_overall",
        )
        for goal in shown_goals:
            part = shown[shown["goal_id"] == goal.id]
            st.plotly_chart(
                charts.ranking_bars(
                    part,
                    goal_names[goal.id],
                    _(method.label),
                    top=len(part),
                    within_goal=True,
                    colours=colours,
                    number=common.number,
                ),
                width="stretch",
                config=CHART_CONFIG,
                key=f"chart_goal_{goal.id}",
            )
        table = exports.ranking_table(ranked.loc[shown.index], _, ws.rules.criteria, ws.kind, method_key=method_key)
        # On screen the rank and the title first (the export keeps its documented column order), the
        # title as read above and, where that is a translation, the original next to it.
        first = [table.columns[0], table.columns[4]]
        in_order = shown.sort_values("rank_overall", kind="mergesort")
        if "original" in in_order and in_order["original"].astype(bool).any():
            table[first[1]] = list(in_order["title"])
            table.insert(5, _("Original"), list(in_order["original"]))
            first.append(table.columns[5])
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_order=first + [c for c in table.columns if c not in first],
            column_config={column: st.column_config.TextColumn(width="large") for column in first[1:]},
        )

# --- turnout --------------------------------------------------------------------------------------
with tab_turnout:
    turnout = data["turnout"]
    total = turnout[turnout["is_total"]].iloc[0]
    st.metric(
        _("Turnout"),
        percent(total["turnout"]) if total["devices"] else "–",
        help=_("Ballots of this method per device that joined the workshop."),
    )
    if by_channel:
        st.caption(f"{by_channel} {_(report.PAPER_NOT_IN_TABLE)}")
    groups = turnout[~turnout["is_total"]]
    group_labels = [g or _("Without working group") for g in groups["group_name"]]
    if len(groups):
        st.plotly_chart(
            charts.count_bars(
                group_labels,
                list(groups["ballots"]),
                _("Ballots per working group"),
                _("Ballots"),
                number=common.number,
            ),
            width="stretch",
            config=CHART_CONFIG,
            key="chart_turnout",
        )
    table = turnout.assign(
        group_name=[
            _("All working groups") if t else (g or _("Without working group"))
            for g, t in zip(turnout["group_name"], turnout["is_total"], strict=True)
        ]
    ).drop(columns="is_total")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "group_name": st.column_config.TextColumn(_("Working group")),
            "devices": st.column_config.NumberColumn(_("Devices joined")),
            "ballots": st.column_config.NumberColumn(_("Ballots")),
            "turnout": st.column_config.NumberColumn(_("Turnout"), format="percent"),
            "share_of_ballots": st.column_config.NumberColumn(_("Share of all ballots"), format="percent"),
        },
    )

# --- robustness -----------------------------------------------------------------------------------
with tab_robust:
    st.subheader(_("Stability across methods"))
    stability = data["stability"]
    if stability.empty:
        st.info(_("Only one method has ballots, so there is nothing to compare."))
    else:
        st.caption(
            _(
                "Kendall's tau is 1 for the same order, 0 for no relation and −1 for the reverse order. "
                "The top-{k} overlap is the share of the top {k} that both rankings have in common."
            ).format(k=common.number(TOP_K))
        )
        labels = {k: _(m.label) for k, m in scoring.METHODS.items()}
        st.dataframe(
            stability.assign(method_a=stability["method_a"].map(labels), method_b=stability["method_b"].map(labels)),
            hide_index=True,
            width="stretch",
            column_config={
                "method_a": _("Method A"),
                "method_b": _("Method B"),
                "measures": st.column_config.NumberColumn(words["measures"]),
                "tau": st.column_config.NumberColumn(_("Kendall's tau"), format="%.2f"),
                "k": None,
                "top_k_overlap": st.column_config.NumberColumn(
                    _("Top-{k} overlap").format(k=common.number(TOP_K)), format="percent"
                ),
            },
        )

    st.subheader(_("Close calls"))
    if available[method_key] < analysis.MIN_BOOTSTRAP_BALLOTS:
        st.info(analysis.too_few_ballots(available[method_key], ngettext))
    else:
        drawn = ngettext(
            "The ballots were drawn again at random {n} time (bootstrap).",
            "The ballots were drawn again at random {n} times (bootstrap).",
            RESAMPLES,
        ).format(n=common.number(RESAMPLES))
        explained = say(
            N_(
                "The likely range holds {share} of the recomputed scores. A close call is a measure whose range "
                "overlaps that of its neighbour in the ranking of its goal; “overtaken” says how often the next "
                "measure came out ahead."
            ),
            N_(
                "The likely range holds {share} of the recomputed scores. A close call is a recommendation whose "
                "range overlaps that of its neighbour in the ranking of its guiding question; “overtaken” says how "
                "often the next recommendation came out ahead."
            ),
        ).format(share=percent(analysis.INTERVAL))
        st.caption(f"{drawn} {explained}")
        boot = data["bootstrap"]
        boot = boot[boot["measure_id"].isin(shown["measure_id"])]
        if st.toggle(_("Only close calls"), value=True, key="results_close_only"):
            boot = boot[boot["close_call_goal"]]
        goal_titles = {g.id: g.title for g in goals}
        decimals = 0 if voting.whole_numbers else 2
        boot = boot.sort_values("rank_overall")
        boot = boot.assign(
            title=boot["measure_id"].map(reader_titles).fillna(boot["title"]),
            goal=boot["goal_id"].map(goal_titles),
            score_range=[
                f"{common.number(round(lo, decimals))} – {common.number(round(hi, decimals))}"
                for lo, hi in zip(boot.low, boot.high, strict=True)
            ],
            rank_range=[
                f"{common.number(best)}–{common.number(worst)}" if best != worst else common.number(best)
                for best, worst in zip(boot["rank_best"], boot["rank_worst"], strict=True)
            ],
        )
        st.dataframe(
            boot,
            hide_index=True,
            width="stretch",
            column_order=[
                "place_overall",
                "title",
                "goal",
                "score",
                "score_range",
                "rank_range",
                "top_share",
                "swap_next",
            ],
            column_config={
                # Shared by equal scores, as in the ranking (the rows stay in the tie-break's order).
                "place_overall": st.column_config.NumberColumn(_("Rank overall")),
                "title": st.column_config.TextColumn(words["measure"]),
                "goal": st.column_config.TextColumn(words["goal"]),
                "score": st.column_config.NumberColumn(_("Score"), format=f"%.{decimals}f"),
                "score_range": st.column_config.TextColumn(_("Likely range")),
                "rank_range": st.column_config.TextColumn(_("Rank range")),
                "top_share": st.column_config.NumberColumn(
                    _("In the top {k}").format(k=common.number(TOP_K)), format="percent"
                ),
                "swap_next": st.column_config.NumberColumn(_("Overtaken"), format="percent"),
            },
        )

    st.subheader(_("Consensus"))
    if voting.per_criterion:
        ranges = say(
            N_(
                "From each ballot's mean rating of a measure: an interquartile range of at most {low} is "
                "consensus, of {high} or more controversial."
            ),
            N_(
                "From each ballot's mean rating of a recommendation: an interquartile range of at most {low} is "
                "consensus, of {high} or more controversial."
            ),
        ).format(low=common.number(analysis.CONSENSUS_IQR), high=common.number(analysis.CONTROVERSIAL_IQR))
        least = (
            ngettext(
                "A measure needs at least {n} rating for this.",
                "A measure needs at least {n} ratings for this.",
                analysis.MIN_RATINGS,
            )
            if ws.kind != WorkshopKind.CONFERENCE
            else ngettext(
                "A recommendation needs at least {n} rating for this.",
                "A recommendation needs at least {n} ratings for this.",
                analysis.MIN_RATINGS,
            )
        )
        st.caption(f"{ranges} {least.format(n=common.number(analysis.MIN_RATINGS))}")
    else:
        st.caption(
            _(
                "Supported by at least two thirds of the ballots: consensus. Supported by {low} to {high}: the room "
                "is split, marked controversial."
            ).format(low=percent(analysis.SPLIT_SHARE[0]), high=percent(analysis.SPLIT_SHARE[1]))
        )
    cons = data["consensus"].merge(reader[["measure_id", "title", "rank_overall", "place_overall"]], on="measure_id")
    cons = cons[cons["measure_id"].isin(shown["measure_id"])].sort_values("rank_overall")
    cons = cons.assign(label=cons["label"].map(lambda v: _(analysis.CONSENSUS_LABELS[v]) if v else ""))
    rating_like = voting.spread is not None
    st.dataframe(
        cons,
        hide_index=True,
        width="stretch",
        column_order=["place_overall", "title", "support_share", "label"]
        + (["ratings", "mean", "std", "iqr"] if rating_like else []),
        column_config={
            "place_overall": st.column_config.NumberColumn(_("Rank overall")),
            "title": st.column_config.TextColumn(words["measure"]),
            "support_share": st.column_config.NumberColumn(_("Support"), format="percent"),
            "label": st.column_config.TextColumn(_("Assessment")),
            "ratings": st.column_config.NumberColumn(_(voting.spread_labels[0]) if rating_like else ""),
            "mean": st.column_config.NumberColumn(_(voting.spread_labels[1]) if rating_like else "", format="%.2f"),
            "std": st.column_config.NumberColumn(_("Standard deviation"), format="%.2f"),
            "iqr": st.column_config.NumberColumn(_("Interquartile range"), format="%.2f"),
        },
    )

# --- ratings --------------------------------------------------------------------------------------
with tab_ratings:
    rating_ranked, rating_votes = data["rating_ranked"], data["rating_votes"]
    if rating_ranked is None or rating_votes is None or rating_votes.empty:
        st.info(
            say(
                N_("Nobody has rated measures on criteria in this workshop."),
                N_("Nobody has rated recommendations on criteria in this workshop."),
            )
        )
    else:
        criteria = ws.rules.criteria
        crit_labels = {c.key: _(c.label) for c in criteria}
        criterion = st.selectbox(
            _("Criterion"),
            [None, *crit_labels],
            format_func=lambda k: _("All criteria") if k is None else crit_labels[k],
            key=common.keyed_by_language("results_criterion"),
        )
        subset = views.for_reader(
            rating_ranked[rating_ranked["measure_id"].isin(shown["measure_id"])],
            translations,
            common.lang(),
            machine=ws.show_machine,
        )
        st.plotly_chart(
            charts.rating_distribution(
                rating_votes,
                subset,
                say(N_("Ratings per measure"), N_("Ratings per recommendation")),
                _("Number of ratings"),
                criterion=criterion,
                number=common.number,
            ),
            width="stretch",
            config=CHART_CONFIG,
            key="chart_ratings",
        )
        keys = [c.key for c in criteria]
        x_key = "impact" if "impact" in keys else keys[0]
        y_key = "feasibility" if "feasibility" in keys else next((k for k in keys if k != x_key), None)
        if y_key and f"mean_{x_key}" in subset and f"mean_{y_key}" in subset:
            st.plotly_chart(
                charts.matrix(
                    subset,
                    f"mean_{x_key}",
                    f"mean_{y_key}",
                    _("{x} × {y}").format(x=crit_labels[x_key], y=crit_labels[y_key]),
                    _("Mean {criterion}").format(criterion=crit_labels[x_key]),
                    _("Mean {criterion}").format(criterion=crit_labels[y_key]),
                    number=common.number,
                ),
                width="stretch",
                config=CHART_CONFIG,
                key="chart_matrix",
            )
            st.caption(
                say(
                    N_("Each dot is a measure; the number is its rank by the weighted mean rating."),
                    N_("Each dot is a recommendation; the number is its rank by the weighted mean rating."),
                )
            )

# --- downloads ------------------------------------------------------------------------------------
with tab_downloads:
    lang = common.lang()
    goals_now = goals
    note = say(
        N_("Downloads contain all measures of the workshop, ranked by “{method}”; the filters above do not apply."),
        N_(
            "Downloads contain all recommendations of the workshop, ranked by “{method}”; the filters above do not "
            "apply."
        ),
    )
    st.caption(note.format(method=_(method.label)))

    # The ballots by channel where paper ballots were taken; None keeps a digital-only vote's files as they were.
    paper_channels = channels if takes_paper else None

    def make_csv(sep: str) -> bytes:
        return exports.ranking_csv(
            ranked,
            sep=sep,
            _=_,
            criteria=ws.rules.criteria,
            kind=ws.kind,
            method_key=method_key,
            channels=paper_channels,
        )

    def make_xlsx() -> bytes:
        return exports.ranking_xlsx(ws, ranked, data["votes"], _, method_key=method_key, channels=channels)

    def make_pdf() -> bytes:
        return report.report_pdf(
            ws,
            ranked,
            data["turnout"],
            data["stability"],
            goals_now,
            _,
            method_key=method_key,
            lang=lang,
            uncertainty=data["bootstrap"],
            ballots=available[method_key],
            top_k=TOP_K,
            channels=paper_channels,
        )

    def make_backup() -> bytes:
        return backup.dumps(backup.export_workshop(common.get_db(), ws.id)).encode("utf-8")

    d1, d2 = st.columns(2)
    d1.download_button(
        _("Ranking (CSV, comma)"),
        data=make_csv(","),
        file_name=f"{stem}-{method_key}.csv",
        mime="text/csv",
        on_click="ignore",
        key="dl_csv",
        icon=":material/table:",
        width="stretch",
    )
    d2.download_button(
        _("Ranking (CSV, semicolon, for German Excel)"),
        data=make_csv(";"),
        file_name=f"{stem}-{method_key}-excel-de.csv",
        mime="text/csv",
        on_click="ignore",
        key="dl_csv_semicolon",
        icon=":material/table:",
        width="stretch",
    )
    d1.download_button(
        _("Ranking (Excel)"),
        data=make_xlsx,
        file_name=f"{stem}-{method_key}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        key="dl_xlsx",
        icon=":material/grid_on:",
        width="stretch",
    )
    d2.download_button(
        _("Report for the district assembly (PDF)"),
        data=make_pdf,
        file_name=f"{stem}-{method_key}-report.pdf",
        mime="application/pdf",
        on_click="ignore",
        key="dl_pdf",
        icon=":material/picture_as_pdf:",
        type="primary",
        width="stretch",
    )
    d1.download_button(
        _("Backup (JSON)"),
        data=make_backup,
        file_name=f"{stem}-backup.json",
        mime="application/json",
        on_click="ignore",
        key="dl_backup",
        icon=":material/save:",
        width="stretch",
    )
    st.caption(
        _("The backup holds the whole workshop with all ballots; it can be restored and every ranking recomputed.")
    )
