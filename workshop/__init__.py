"""Planungswerkstatt's domain: workshops, visions, measures, ballots, scoring. No UI in here.

For analysts, a ranking can be recomputed without the app::

    from workshop.store import Database
    from workshop import services, views
    db = Database("data/workshop.duckdb")
    print(views.ranking(db, services.current_workshop(db)))
"""
