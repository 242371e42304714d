"""Planungswerkstatt: the router (page config, shared chrome, the pages of each role) and the server.

``streamlit run app.py`` imports this file to find ``app`` (Streamlit's ASGI app: the pages plus
the ballot endpoint of ui/api.py), then runs it as the script of every page view ("__main__").
"""

import streamlit as st

from ui import api, common, runtime
from workshop import i18n
from workshop.errors import StoreLocked


def run(pages, **kwargs) -> None:
    """Run the chosen page, then stop: nothing below may render for a participant."""
    guarded(st.navigation(pages, **kwargs))
    st.stop()


def guarded(page) -> None:
    """Run a page; a database that stops answering mid-page (a PostgreSQL server gone away) ends
    it with the same message every screen shows then, in the page's language, not a traceback."""
    try:
        page.run()
    except StoreLocked as exc:
        common.store_trouble(exc)


def main() -> None:
    runtime.tune_gc()  # once per process: see ui/runtime.py
    # A local icon: a material-icon favicon would be fetched from the internet, which the hall may lack.
    st.set_page_config(page_title="Planungswerkstatt", page_icon="ui/favicon.png", layout="centered")
    common.sync_params()
    common.speak_for(None)  # each page names its workshop's kind (common.speak_for)
    _ = common.gettext()
    common.get_db()  # opened once per process; a held file stops here with the message
    common.style()
    # The page's language (screen readers, hyphenation) on <html>; the direction on the app's content
    # only: dir="rtl" on <html> would mirror Streamlit's own frame (sidebar, header) and break it.
    language = common.lang()
    direction = "rtl" if i18n.is_rtl(language) else "ltr"
    st.html(common.page_language_script(language), unsafe_allow_javascript=True)
    if direction == "rtl":
        # The segmented controls' rounded ends mirror with their order (issue 22.4): the first
        # button is the rightmost.
        group = '[data-testid="stMain"] [data-testid="stButtonGroup"] button'
        st.html(
            '<style>[data-testid="stMain"], [data-testid="stSidebarContent"] { direction: rtl; }'
            f"{group}:first-child {{ border-radius: 0 8px 8px 0; }}"
            f"{group}:last-child {{ border-radius: 8px 0 0 8px; }}"
            f"{group}:only-child {{ border-radius: 8px; }}</style>"
        )

    fac = common.facilitator()
    participant_link = "t" in st.query_params or "code" in st.query_params
    projector = st.Page("app_pages/projector.py", title=_("Projector"), icon=":material/tv:", url_path="projector")
    if "desk" in st.query_params:
        # A language mediator's link: the translation desk of one language, nothing else.
        desk = st.Page("app_pages/desk.py", title=_("Translation desk"), icon=":material/translate:", default=True)
        run([desk], position="hidden")
    paper = st.Page("app_pages/paper.py", title=_("Paper ballots"), icon=":material/ballot:", url_path="paper")
    if "entry" in st.query_params and fac is None:
        # A link for staff entering paper ballots: that screen, nothing else.
        entry_page = st.Page("app_pages/paper.py", title=_("Paper ballots"), icon=":material/ballot:", default=True)
        run([entry_page], position="hidden")
    if "view" in st.query_params and fac is None:
        # The read-only projector link: only the projector, no menu.
        run([projector], position="hidden")

    participate = st.Page(
        "app_pages/participate.py", title=_("Take part"), icon=":material/how_to_vote:", url_path="join"
    )
    privacy = st.Page("app_pages/privacy.py", title=_("Privacy"), icon=":material/shield_person:", url_path="privacy")
    if participant_link and fac is None:
        # A participant sees only the participant screen (and the privacy notice): no menu. The screen
        # is the default page (the QR link is "/?code=…") and also answers at /join, where someone who
        # typed the code on the "Take part" page is (a default page has no path of its own).
        entry = st.Page("app_pages/participate.py", title=_("Take part"), icon=":material/how_to_vote:", default=True)
        run([entry, participate, privacy], position="hidden")

    home = st.Page("app_pages/home.py", title=_("Start"), icon=":material/home:", url_path="start", default=True)
    pages: dict[str, list[st.Page]] = {_("Workshop"): [home, participate, privacy]}
    if fac is not None:
        console = st.Page("app_pages/console.py", title=_("Console"), icon=":material/tune:", url_path="console")
        pages[_("Facilitation")] = [
            console,
            st.Page("app_pages/setup.py", title=_("Set up"), icon=":material/edit_note:", url_path="setup"),
            st.Page(
                "app_pages/moderation.py", title=_("Moderation"), icon=":material/fact_check:", url_path="moderation"
            ),
            paper,
            projector,
            st.Page("app_pages/results.py", title=_("Results"), icon=":material/leaderboard:", url_path="results"),
        ]
    else:
        pages[_("Facilitation")] = [
            st.Page("app_pages/login.py", title=_("Log in"), icon=":material/key:", url_path="login")
        ]

    nav = st.navigation(pages, position="hidden")
    if fac is not None and st.session_state.pop("after_login", False):
        st.switch_page(console)
    with st.sidebar:
        for section, entries in pages.items():
            st.caption(section)
            for entry in entries:
                st.page_link(entry)
        st.divider()
        languages = i18n.available_languages()
        current = common.lang()
        choice = st.selectbox(
            _("Language"),
            options=list(languages),
            index=list(languages).index(current),
            format_func=languages.get,
            key="lang_picker",
        )
        if choice != current:
            common.set_param("lang", choice)
            st.rerun()

    guarded(nav)


if __name__ == "__main__":
    main()
else:
    app = st.App("app.py", routes=api.routes(str(st.get_option("server.baseUrlPath") or "")), lifespan=common.start_up)
