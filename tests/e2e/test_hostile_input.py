"""Hostile text in a real browser: Markdown, HTML, links, formulas, icons, colours, headings,
lists and a right-to-left override stay plain text in every field of a workshop, everywhere.

Six workshops are prepared in the database before the server starts, every text field filled
with hostile text: title, venue, vision (theme) title and description, each goal's title and
description, working groups, rating criterion labels, the privacy contact, the public address,
and every field of the measures (a vision file sets them). One collects proposals, four run a
vote (dots, approval, rating, ranking), one shows results. A participant types a hostile proposal
in the browser. Every page that shows these texts (start, join, propose, each ballot, privacy,
participant results, console, set up, moderation, the projector in each phase and wall view,
results) must show the characters as typed, with no element that Markdown or HTML would have
made. Afterwards a copy of the database file holds no IP address and no browser name.
"""

from __future__ import annotations

import random
import re
import shutil
import time

import pytest
import yaml

from tests.e2e.conftest import PASSPHRASE, Server, choose, settled
from workshop import auth, services, vision
from workshop.model import DotBallot, Phase, RatingBallot
from workshop.store import Database

RLO = "\u202e"
# Two lines of everything a renderer could interpret; each starts as a heading or a list item would.
# The words in them (h1x, b1x, e1x, c1x, li1, bee, ax, bolt) are what the checks look for.
A = "# h1x **b1x** *e1x* [x](http://evil.example) http://evil.example :red[c1x]"
B = f"- li1 <img src=x onerror=__pwn=1> <b>bee</b> <a href=http://evil.example>ax</a> $x^2$ :material/bolt: {RLO}txt"
LONG = f"{A} {B}"  # one-line fields of up to 200 characters
TEXT = f"{A}\n{B}\n1. one\n> quote"  # multi-line fields
GROUPS = [A, B.replace(" <a href=http://evil.example>ax</a>", ""), "<a href=http://evil.example>ax</a> ~g3"]
CRITERIA = [  # at most 60 characters each; the first two are the matrix's axes
    {"key": "k1", "label": "- li1 <b>bee</b> <a href=http://evil.example>ax</a>", "weight": 1},
    {"key": "k2", "label": "# h1x **b1x** *e1x* :red[c1x] $x^2$", "weight": 1},
    {"key": "k3", "label": "[x](http://evil.example) http://evil.example", "weight": 1},
    {"key": "k4", "label": f"<img src=x onerror=__pwn=1> :material/bolt: {RLO}txt", "weight": 1},
]
GOALS = [f"{A} ~g1", f"{B} ~g2"]
MEASURES = [f"{A} ~m1", f"{B} ~m2", f"{A} ~m3"]  # ~m3 is merged into ~m1 on the collecting workshop
PROPOSAL = f"{A} ~typed"
PUBLIC_URL = f"https://hall.example/{A}"
INVISIBLE = re.compile("[\u2060\u2068\u2069]")


def vision_file(method: str, kind: str = "vision") -> str:
    """A vision file (docs/vision-format.md) with hostile text in every field it can set."""
    measure = {"description": TEXT, "responsible": LONG, "target_group": LONG, "timeframe": LONG, "cost": LONG}
    return yaml.safe_dump(
        {
            "vision": {
                "title": LONG,
                "description": TEXT,
                "goals": [{"title": g, "description": TEXT} for g in GOALS],
            },
            "groups": GROUPS,
            "workshop": {"kind": kind},
            "rules": {
                "method": method,
                "dots_per_person": 6,
                "max_per_measure": 3,
                "goal_budget": 4 if method == "dots" else None,
                "criteria": CRITERIA,
            },
            "measures": [
                {"goal": GOALS[i % 2], "group": GROUPS[i % 2], "title": t, **measure} for i, t in enumerate(MEASURES)
            ],
        },
        allow_unicode=True,
    )


def make_workshop(db, fac, suffix: str, method: str, kind: str = "vision"):
    ws = services.create_workshop(db, fac, title=f"{A} ~{suffix}", place=LONG)
    services.replace_vision(db, fac, ws.id, **vision.vision_args(vision.parse(vision_file(method, kind))))
    services.set_privacy(db, fac, ws.id, TEXT, 6)
    return services.get_workshop(db, ws.id)


def join(db, ws):
    groups = services.list_groups(db, ws.id)
    return services.join(db, ws.join_code, group_id=groups[0].id)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "hostile.duckdb"
    db = Database(path)
    auth.ensure_passphrase(db, PASSPHRASE)
    fac = auth.login(db, PASSPHRASE, client="prepare")
    services.set_public_url(db, fac, PUBLIC_URL)
    ids, tokens, keys, codes = {}, {}, {}, {}

    collect = make_workshop(db, fac, "collect", "dots")
    services.set_phase(db, fac, collect.id, Phase.COLLECT)
    by_title = {m.title: m.id for m in services.list_measures(db, collect.id)}
    services.merge_measures(db, fac, by_title[MEASURES[0]], [by_title[MEASURES[2]]])
    ids["collect"], codes["collect"] = collect.id, collect.join_code

    for method, kind in (("dots", "vision"), ("approval", "conference"), ("rating", "vision"), ("ranking", "vision")):
        ws = make_workshop(db, fac, method, method, kind)
        services.set_phase(db, fac, ws.id, Phase.VOTE)
        ids[method], tokens[method] = ws.id, join(db, ws)[1]

    results = make_workshop(db, fac, "results", "rating")
    services.set_phase(db, fac, results.id, Phase.VOTE)
    measures = [m.id for m in services.list_measures(db, results.id)]
    rnd = random.Random(0)
    for n in range(16):  # enough for the close calls (analysis.MIN_BOOTSTRAP_BALLOTS)
        participant, token = join(db, results)
        ratings = {m: {c["key"]: rnd.randint(1, 5) for c in CRITERIA} for m in measures}
        services.submit_ballot(db, participant, RatingBallot(ratings), f"submission-{n:04d}")
    tokens["results"] = token
    services.set_phase(db, fac, results.id, Phase.RESULTS)
    services.reveal_results(db, fac, results.id)
    ids["results"], codes["results"] = results.id, results.join_code
    # A dots ballot on the dots workshop: its projector shows ballots per working group.
    dots_ws = services.get_workshop(db, ids["dots"])
    participant, _t = join(db, dots_ws)
    dots_measure = services.list_measures(db, dots_ws.id)[0].id
    services.submit_ballot(db, participant, DotBallot({dots_measure: 1}), "submission-dots")
    for name in ("collect", "dots", "results"):
        keys[name] = services.projector_key(db, fac, ids[name])
    services.set_current_workshop(db, fac, collect.id)
    db.close()
    server = Server(path, tmp / "server.log")
    server.ids, server.tokens, server.keys, server.codes, server.code = ids, tokens, keys, codes, collect.join_code
    yield server
    server.stop()


# --- checks ------------------------------------------------------------------------------------

# The page and the shadow roots of its components (the dot ballot draws in one).
_ROOTS = """const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  }"""

_INTERPRETED = (
    """() => {
  """
    + _ROOTS
    + """
  const all = s => roots.flatMap(r => Array.from(r.querySelectorAll(s)));
  const text = el => (el.textContent || '').replace(/[\\u2060\\u2068\\u2069]/g, '').trim();
  const found = [];
  const say = (what, els) => { if (els.length) found.push(what + ': ' + els[0].outerHTML.slice(0, 300)); };
  say('a link', all('a[href*="evil.example"], svg a'));
  say('an image', all('img').filter(i => i.getAttribute('src') === 'x'));
  say('bold', all('strong, b').filter(e => ['b1x', 'bee'].includes(text(e))));
  say('italics', all('em, i').filter(e => text(e) === 'e1x'));
  say('a heading', all('h1, h2, h3, h4, h5, h6').filter(e => text(e).startsWith('h1x')));
  say('a list', all('li').filter(e => text(e).startsWith('li1') || text(e).startsWith('one')));
  say('a quote', all('blockquote').filter(e => text(e).includes('quote')));
  say('a formula', all('.katex, .katex-display, mjx-container, math'));
  say('an icon', all('[data-testid="stIconMaterial"], [role="img"]').filter(e => text(e) === 'bolt'));
  say('a colour', all('span').filter(e => text(e) === 'c1x'));
  say('bold in a chart', all('svg [style*="font-weight:bold"], svg [style*="font-weight: bold"]')
    .filter(e => text(e) === 'bee'));
  if (window.__pwn !== undefined) found.push('a script ran');
  return found;
}"""
)


def nothing_interpreted(page, where: str) -> None:
    """No element that Markdown, HTML or a formula in user text would have made, and no script effect."""
    settled(page, 400)
    found = page.evaluate(_INTERPRETED)
    assert not found, f"{where}: " + " | ".join(found)


def _flat(text: str) -> str:
    return " ".join(INVISIBLE.sub("", text).split())


def shows(page, where: str, *texts: str) -> None:
    """Each text appears as typed in the page's text (hidden tabs and closed expanders included)
    or as the choice shown in a select box; a page still drawing gets a few seconds."""
    missing = list(texts)
    deadline = time.monotonic() + 5
    while missing:
        body = _flat(
            page.evaluate(
                "() => { " + _ROOTS + " return roots.map(r => (r.body || r).textContent).join(' ') + ' ' + "
                "Array.from(document.querySelectorAll('input[role=combobox]')).map(i => i.value).join(' '); }"
            )
        )
        missing = [t for t in missing if _flat(t) not in body]
        if missing and time.monotonic() > deadline:
            raise AssertionError(f"{where}: {missing[0]!r} not shown as typed")
        if missing:
            page.wait_for_timeout(250)


def chart_shows(page, where: str, *texts: str) -> None:
    """Each text's first 60 characters appear in a chart (plotly wraps long labels over lines)."""
    missing = list(texts)
    deadline = time.monotonic() + 5
    while missing:
        charts = "".join(page.locator(".js-plotly-plot").all_text_contents())
        flat = re.sub(r"\s+", "", INVISIBLE.sub("", charts))
        missing = [t for t in missing if re.sub(r"\s", "", t)[:60] not in flat]
        if missing and time.monotonic() > deadline:
            raise AssertionError(f"{where}: {missing[0]!r} not in a chart as typed")
        if missing:
            page.wait_for_timeout(250)


def visit(page, url: str, where: str, wait_for: str) -> None:
    page.goto(url)
    page.locator(wait_for).first.wait_for()
    nothing_interpreted(page, where)


def open_page(page, link: str, where: str, wait_for: str) -> None:
    """A facilitator's page from the menu (a new address would be a new session, logged out)."""
    page.get_by_role("link", name=link, exact=True).click()
    page.locator(wait_for).first.wait_for()
    nothing_interpreted(page, where)


def pick_workshop(page, code: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Workshop").first
    choose(page, box, code, while_open=lambda: nothing_interpreted(page, "the workshops to choose from"))
    settled(page, 300)


# --- the walk ----------------------------------------------------------------------------------


def participant_walk(phone, srv) -> None:
    """Join, propose (typing hostile text), the privacy notice, each ballot, the results."""
    url, tokens = srv.url, srv.tokens
    visit(phone, f"{url}/?code={srv.code}&lang=en", "join", '[data-testid="stRadio"]')
    shows(phone, "join", f"{A} ~collect", *GROUPS)
    phone.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()
    phone.get_by_role("button", name="Start", exact=True).click()
    phone.wait_for_url(re.compile(r"[?&]t="))

    phone.get_by_label("Title of the measure").fill(PROPOSAL)
    phone.get_by_label("Description", exact=True).fill(TEXT)
    phone.get_by_text("More details (optional)").click()
    for label in ("Responsible", "Target group", "Timeframe", "Rough cost"):
        phone.get_by_label(label).fill(LONG)
    phone.get_by_role("button", name="Submit proposal").click()
    phone.get_by_text("Your proposal was saved", exact=False).first.wait_for()
    nothing_interpreted(phone, "propose")
    shows(phone, "propose", f"{A} ~collect", PROPOSAL, TEXT, *GOALS, MEASURES[0])

    visit(phone, f"{url}/privacy?code={srv.code}&lang=en", "privacy", "h1")
    shows(phone, "privacy", f"{A} ~collect", TEXT)

    for method in ("dots", "approval", "rating", "ranking"):
        visit(phone, f"{url}/?t={tokens[method]}&lang=en", f"{method} ballot", "text=Submit my vote")
        shows(phone, f"{method} ballot", f"{A} ~{method}", MEASURES[0], MEASURES[1], TEXT)
        nothing_interpreted(phone, f"{method} ballot")  # a browser component: text set as text, never HTML
        if method != "ranking":  # a ranking is one list, without the goals
            shows(phone, f"{method} ballot", *GOALS)
        if method == "ranking":
            # Each move button is named with its measure as typed, and its place.
            named = phone.locator(".pw-move").evaluate_all("els => els.map(b => b.getAttribute('aria-label'))")
            assert any(_flat(n).startswith(_flat(f"Move up: {MEASURES[0]} (place ")) for n in named), named[:4]
        if method == "rating":
            shows(phone, "rating ballot", *(c["label"] for c in CRITERIA))
            # Each radio group is named with the criterion's label as typed, and its measure.
            named = phone.locator('[role="radiogroup"].pw-scale').evaluate_all(
                "els => els.map(g => g.getAttribute('aria-label'))"
            )
            for c in CRITERIA:
                assert any(n.startswith(f"{c['label']} for ") for n in named), (c["label"], named[:4])
            phone.screenshot(path="/tmp/hostile-rating-ballot.png", full_page=True)

    visit(phone, f"{url}/?t={tokens['results']}&lang=en", "participant results", ".js-plotly-plot")
    shows(phone, "participant results", f"{A} ~results", *GOALS, MEASURES[0], MEASURES[1])
    chart_shows(phone, "participant results", MEASURES[0])


def collecting_walk(fac, projector, srv) -> None:
    """The collecting workshop: console, start, set up (and a file's preview), moderation; the
    projector while collecting and while voting."""
    fac.goto(srv.url + "/login?lang=en")
    fac.get_by_label("Passphrase").fill(PASSPHRASE)
    fac.get_by_role("button", name="Log in").click()
    fac.locator('[data-testid="stCode"]').first.wait_for()
    nothing_interpreted(fac, "console (collect)")
    shows(fac, "console (collect)", f"{A} ~collect", PUBLIC_URL)

    open_page(fac, "Start", "start (collect)", ".js-plotly-plot")
    shows(fac, "start (collect)", f"{A} ~collect", LONG, TEXT, *GOALS, MEASURES[0], PROPOSAL)
    chart_shows(fac, "start (collect)", *GOALS)

    open_page(fac, "Set up", "set up", "text=Voting rules")
    shows(fac, "set up", f"{A} ~collect", *GOALS, TEXT, *(c["label"] for c in CRITERIA))
    # A vision file's preview (nothing is saved: the workshop has measures already).
    fac.get_by_role("tab", name="Import a file").click()
    fac.locator(".pw-file-input").set_input_files(
        files=[{"name": "hostile.yaml", "mimeType": "text/yaml", "buffer": vision_file("rating").encode()}]
    )
    fac.get_by_text("Preview: nothing is saved yet.").wait_for()
    nothing_interpreted(fac, "set up: a file's preview")
    shows(fac, "set up: a file's preview", "Working groups: " + ", ".join(GROUPS))

    open_page(fac, "Moderation", "moderation", "text=Edit, move, merge")
    shows(fac, "moderation", f"{A} ~collect", PROPOSAL, *MEASURES[:2], f"⤷ {MEASURES[2]} — {TEXT}", *GOALS)

    for name, in_chart in (("collect", GOALS[0]), ("dots", GROUPS[0])):
        visit(projector, f"{srv.url}/?view={srv.keys[name]}&lang=en", f"projector ({name})", ".js-plotly-plot")
        shows(projector, f"projector ({name})", f"{A} ~{name}", LONG, f"{PUBLIC_URL}/?code=")
        chart_shows(projector, f"projector ({name})", in_chart)


WALL_TITLE = "m => Array.from(document.querySelectorAll('.gtitle')).some(t => t.textContent.includes(m))"


def results_walk(fac, projector, srv) -> None:
    """The workshop with results: the console's choice of the wall, each wall view, every tab of
    the results page, the start page."""
    fac.get_by_role("link", name="Console", exact=True).click()
    fac.locator('[data-testid="stCode"]').first.wait_for()
    pick_workshop(fac, srv.codes["results"])
    wall = fac.locator('[data-testid="stRadio"]').filter(has_text="The projector shows")
    wall.wait_for()
    nothing_interpreted(fac, "console (results)")
    shows(fac, "console (results)", f"{A} ~results", *GOALS)

    visit(projector, f"{srv.url}/?view={srv.keys['results']}&lang=en", "projector (ranking)", ".js-plotly-plot")
    shows(projector, "projector (ranking)", f"{A} ~results", LONG)
    chart_shows(projector, "projector (ranking)", MEASURES[0], MEASURES[1], *GOALS)
    # (option on the console, the chart title that says it is shown, what the chart must show)
    for option, title_mark, expected in ((1, "~g1", f"1. {GOALS[0]}"), (3, "×", CRITERIA[0]["label"])):
        wall.locator('[role="radiogroup"] label').nth(option).click()
        settled(fac, 300)
        projector.wait_for_function(WALL_TITLE, arg=title_mark)
        nothing_interpreted(projector, f"projector (wall view {option})")
        chart_shows(projector, f"projector (wall view {option})", expected)
    chart_shows(projector, "projector (matrix)", CRITERIA[1]["label"])
    projector.screenshot(path="/tmp/hostile-projector-matrix.png")

    open_page(fac, "Results", "results", ".js-plotly-plot")
    for tab in ("Turnout", "Robustness", "Ratings", "Ranking"):
        fac.get_by_role("tab", name=tab).click()
        if tab != "Robustness":  # the others have charts
            fac.get_by_role("tabpanel", name=tab).locator(".js-plotly-plot").first.wait_for()
        nothing_interpreted(fac, f"results: {tab}")
    shows(fac, "results", f"{A} ~results")
    chart_shows(fac, "results", *MEASURES[:2], *GOALS, GROUPS[0], *(c["label"] for c in CRITERIA[:2]))

    open_page(fac, "Start", "start (results)", ".js-plotly-plot >> nth=1")
    shows(fac, "start (results)", f"{A} ~results", LONG, TEXT, *GOALS, MEASURES[0])
    chart_shows(fac, "start (results)", MEASURES[0], *GOALS)


def test_hostile_text_is_shown_as_typed_everywhere(browser, srv, tmp_path):
    participant_ctx = browser.new_context(viewport={"width": 768, "height": 1024}, user_agent="HostileTestAgent/1.0")
    phone = participant_ctx.new_page()
    phone.set_default_timeout(30_000)
    participant_walk(phone, srv)

    fac_ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    fac, projector = fac_ctx.new_page(), fac_ctx.new_page()
    fac.set_default_timeout(30_000)
    projector.set_default_timeout(30_000)
    collecting_walk(fac, projector, srv)
    results_walk(fac, projector, srv)
    participant_ctx.close()
    fac_ctx.close()

    # What the database keeps of these visits: no IP address, no browser name.
    copy = tmp_path / "copy.duckdb"
    shutil.copy(srv.db_path, copy)
    wal = srv.db_path.with_name(srv.db_path.name + ".wal")
    data = copy.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for trace in (b"127.0.0.1", b"HostileTestAgent", b"HeadlessChrome", b"Mozilla/"):
        assert trace not in data, f"the database holds {trace!r}"
