"""What translations cost the ballot: the data a phone's ballot is drawn from, with and without
translations of every measure into the other seven languages.

    .venv/bin/python -m bench.ballot_languages [--measures 60] [--repeat 200]

For each reader language it times ``ui.ballot.ballot_data`` (what the page and ``GET /api/ballot``
build for one phone: 60 measures in 4 goals, the dot ballot's words) and measures the JSON the
browser receives. Median of ``--repeat`` calls, in milliseconds. No server, no database: the
measures and translations are built in memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from workshop import i18n
from workshop.model import Goal, Made, Measure, Translation, VotingRules
from workshop.vocabulary import Voice


def build(n: int) -> tuple[list[Goal], dict[str, Measure], dict[str, str], dict[str, dict[str, Translation]]]:
    languages = list(i18n.available_languages())
    goals = [Goal(f"g{i}", "w", i + 1, f"Ziel {i + 1}: Zusammenleben im Bezirk") for i in range(4)]
    measures, goal_of, translations = {}, {}, {}
    for i in range(n):
        lang = languages[i % len(languages)] if languages[i % len(languages)] != "ls" else "de"
        mid = f"m{i:03d}"
        measures[mid] = Measure(
            mid, "w", goals[i % 4].id, f"Maßnahme {i}: ein Sprachcafé im Bürgerhaus", "Beschreibung " * 20, lang=lang
        )
        goal_of[mid] = goals[i % 4].id
        translations[mid] = {
            other: Translation(mid, other, f"[{other}] Maßnahme {i}", "Übersetzung " * 20, Made.MEDIATOR)
            for other in languages
            if other != lang
        }
    return goals, measures, goal_of, translations


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--measures", type=int, default=60)
    p.add_argument("--repeat", type=int, default=200)
    args = p.parse_args()
    from ui import ballot  # registers the components: import after argparse (help stays fast)

    goals, measures, goal_of, translations = build(args.measures)
    rules = VotingRules()
    print(f"{args.measures} measures, 4 goals, translations into the 7 other languages each")
    print(f"{'reader':>6}  {'without ms':>10}  {'with ms':>8}  {'JSON without':>12}  {'JSON with':>10}")
    for lang in i18n.available_languages():

        def one(found, lang=lang):
            return ballot.ballot_data(
                voice=Voice(lang),
                device_id="bench-device",
                token="t" * 32,
                rules=rules,
                goals=goals,
                measures=measures,
                goal_of=goal_of,
                saved=None,
                notify=False,
                translations=found,
            )

        row = []
        for found in (None, translations):
            one(found)  # warm: catalogs, caches
            times = []
            for _i in range(args.repeat):
                started = time.perf_counter()
                data = one(found)
                times.append((time.perf_counter() - started) * 1000)
            row.append((statistics.median(times), len(json.dumps(data, ensure_ascii=False).encode())))
        (plain_ms, plain_bytes), (with_ms, with_bytes) = row
        print(f"{lang:>6}  {plain_ms:>10.2f}  {with_ms:>8.2f}  {plain_bytes:>12}  {with_bytes:>10}")


if __name__ == "__main__":
    main()
