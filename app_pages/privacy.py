"""The privacy notice: what is stored, why, how long, who to ask (linked from the join screen)."""

import streamlit as st

from ui import common
from workshop import i18n, privacy, services, translation
from workshop.errors import DomainError

_ = common.gettext()
db = common.get_db()
params = st.query_params

workshop = None
participant = services.resume(db, params.get("t"))
if participant is not None:
    workshop = common.cached_workshop(participant.workshop_id)
elif params.get("code"):
    try:
        workshop = services.find_by_code(db, params.get("code"))
    except DomainError:
        workshop = None
else:
    workshop = services.current_workshop(db)

common.language_picker("lang_privacy")
st.title(_("Privacy"), anchor=False)
if workshop is not None:
    common.literal(workshop.title, tag="p", cls="pw-literal pw-muted", lang=translation.MAIN_LANGUAGE)
last_active = services.last_activity(db, workshop.id) if workshop is not None else None
for section in privacy.notice(workshop, _, last_active=last_active, lang=common.lang()):
    st.header(section.heading, anchor=False)  # h2 under the page's h1
    for paragraph in section.paragraphs:
        common.literal(paragraph, tag="p")
    if section.literal:
        common.literal(section.literal, tag="p")
# "Back" points the way the page reads: left in German, right in Arabic and Persian.
back = ":material/arrow_forward:" if i18n.is_rtl(common.lang()) else ":material/arrow_back:"
st.page_link("app_pages/participate.py", label=_("Back to the workshop"), icon=back)
