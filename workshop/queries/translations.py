"""The translations' statements: a measure's versions in other languages, its own language, the
workshop's choice about machine translations, and the mediators' link keys."""

from __future__ import annotations

from typing import Any

from . import row, rows, run, value

TRANSLATION_COLUMNS = "measure_id, lang, title, description, made, reviewed, stale"


def translations_of(q: Any, measure_id: str) -> list[tuple]:
    return rows(q, f"SELECT {TRANSLATION_COLUMNS} FROM translations WHERE measure_id = $1 ORDER BY lang", [measure_id])


def translations_in(q: Any, workshop_id: str) -> list[tuple]:
    """Every translation of a workshop's measures, by measure, then language."""
    return rows(
        q,
        f"SELECT {TRANSLATION_COLUMNS} FROM translations WHERE workshop_id = $1 ORDER BY measure_id, lang",
        [workshop_id],
    )


def has_translation(q: Any, measure_id: str, lang: str) -> int | None:
    return value(q, "SELECT 1 FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])


def translation_title(q: Any, measure_id: str, lang: str) -> str | None:
    return value(q, "SELECT title FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])


def translation_text(q: Any, measure_id: str, lang: str) -> tuple | None:
    """``(title, description)`` of the translation, None if there is none."""
    return row(q, "SELECT title, description FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])


def delete_translation(q: Any, measure_id: str, lang: str) -> None:
    run(q, "DELETE FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])


def delete_translations_of(q: Any, measure_id: str) -> None:
    run(q, "DELETE FROM translations WHERE measure_id = $1", [measure_id])


def insert_translation(
    q: Any,
    *,
    measure_id: str,
    workshop_id: str,
    lang: str,
    title: str,
    description: str,
    made: str,
    reviewed: bool,
) -> None:
    run(
        q,
        "INSERT INTO translations (measure_id, workshop_id, lang, title, description, made, reviewed) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [measure_id, workshop_id, lang, title, description, made, reviewed],
    )


def outdate_translations(q: Any, measure_id: str) -> None:
    run(q, "UPDATE translations SET stale = TRUE, reviewed = FALSE WHERE measure_id = $1", [measure_id])


def mark_reviewed(q: Any, measure_id: str, lang: str) -> int | None:
    """1 if the translation exists (it is now checked and current), else None."""
    return value(
        q,
        "UPDATE translations SET reviewed = TRUE, stale = FALSE, updated_at = current_timestamp "
        "WHERE measure_id = $1 AND lang = $2 RETURNING 1",
        [measure_id, lang],
    )


def translatable_measure(q: Any, measure_id: str) -> tuple | None:
    """``(workshop id, title, language)`` of a measure that is not merged away."""
    return row(q, "SELECT workshop_id, title, lang FROM measures WHERE id = $1 AND merged_into IS NULL", [measure_id])


def measure_language(q: Any, measure_id: str) -> tuple | None:
    """``(workshop id, language)`` of a measure that is not merged away."""
    return row(q, "SELECT workshop_id, lang FROM measures WHERE id = $1 AND merged_into IS NULL", [measure_id])


def set_measure_language(q: Any, measure_id: str, lang: str) -> None:
    run(q, "UPDATE measures SET lang = $1 WHERE id = $2", [lang, measure_id])


def set_show_machine(q: Any, workshop_id: str, shown: bool) -> None:
    run(q, "UPDATE workshops SET show_machine = $1 WHERE id = $2", [shown, workshop_id])


def mediator_saves_last_minute(q: Any, workshop_id: str, key_id: str) -> int:
    """The mediator's translations and checks in the workshop's audit log during the last minute."""
    return value(
        q,
        "SELECT count(*) FROM audit_log WHERE workshop_id = $1 AND action = 'mediator_translate' AND subject LIKE $2 "
        "AND logged_at > CAST(current_timestamp AS TIMESTAMP) - INTERVAL '60 seconds'",
        [workshop_id, key_id + ":%"],
    )
