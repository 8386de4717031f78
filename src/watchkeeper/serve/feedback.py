"""Partners' feedback on alerts: confirm, dispute or comment, each with its own marking.

The precision of an event type is confirmed / (confirmed + disputed) over the alerts partners
judged, a partner's latest verdict on an alert counting once. A partner's figures count only
the alerts and the feedback released to it, so a count cannot reveal an item it may not see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.serve.db import ServiceDB, visible_sql
from watchkeeper.serve.markings import Marking

__all__ = ["Verdict", "add_feedback", "feedback_of", "precision"]

MAX_TEXT = 4000  # characters of a comment: a paragraph or two, not a document


class Verdict(StrEnum):
    """What a partner says of an alert."""

    CONFIRM = "confirm"
    DISPUTE = "dispute"
    COMMENT = "comment"


def add_feedback(
    db: ServiceDB, partner: str, event_id: str, verdict: str, text: str, marking: Marking
) -> dict[str, Any]:
    """Record feedback on an event released to ``partner`` (404 otherwise); the author's
    own code is always in the feedback's rel_to."""
    try:
        v = Verdict(verdict)
    except ValueError:
        raise ConfigError(f"verdict {verdict!r}: expected confirm, dispute or comment") from None
    if len(text) > MAX_TEXT:
        raise ConfigError(f"feedback text has {len(text)} characters, at most {MAX_TEXT}")
    if partner not in marking.rel_to and "ALL" not in marking.rel_to:
        marking = Marking(marking.tlp, tuple(sorted({*marking.rel_to, partner})))
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    vis = visible_sql("event", "e.event_id", "e.tlp")
    with db.write() as con:
        seen = con.execute(
            f"SELECT 1 FROM pub_events e WHERE e.event_id = :id AND {vis}",
            {"id": event_id, "partner": partner},
        ).fetchone()
        if seen is None:
            raise NotFoundError(f"no event {event_id}")
        cur = con.execute(
            "INSERT INTO feedback (event_id, partner, verdict, text, tlp, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, partner, v.value, text, marking.tlp, now),
        )
        fid = int(cur.lastrowid or 0)
        con.executemany(
            "INSERT INTO pub_release (kind, item_id, partner) VALUES ('feedback', ?, ?)",
            [(str(fid), code) for code in marking.rel_to],
        )
    return {
        "feedback_id": fid,
        "event_id": event_id,
        "partner": partner,
        "verdict": v.value,
        "text": text,
        "created_at": now,
        "marking": marking.as_dict(),
    }


def feedback_of(db: ServiceDB, partner: str, event_id: str) -> list[dict[str, Any]]:
    """The feedback on an event that is released to ``partner`` (the event must be too)."""
    ev_vis = visible_sql("event", "e.event_id", "e.tlp")
    fb_vis = visible_sql("feedback", "CAST(f.feedback_id AS TEXT)", "f.tlp")
    with db.session() as con:
        if (
            con.execute(
                f"SELECT 1 FROM pub_events e WHERE e.event_id = :id AND {ev_vis}",
                {"id": event_id, "partner": partner},
            ).fetchone()
            is None
        ):
            raise NotFoundError(f"no event {event_id}")
        rows = con.execute(
            "SELECT f.*, (SELECT group_concat(r2.partner, ',') FROM pub_release r2 WHERE "
            "r2.kind = 'feedback' AND r2.item_id = CAST(f.feedback_id AS TEXT)) AS rel_to "
            f"FROM feedback f WHERE f.event_id = :id AND {fb_vis} ORDER BY f.feedback_id",
            {"id": event_id, "partner": partner},
        ).fetchall()
    return [
        {
            "feedback_id": r["feedback_id"],
            "event_id": r["event_id"],
            "partner": r["partner"],
            "verdict": r["verdict"],
            "text": r["text"],
            "created_at": r["created_at"],
            "marking": Marking(r["tlp"], tuple(sorted(r["rel_to"].split(",")))).as_dict(),
        }
        for r in rows
    ]


def precision(db: ServiceDB, partner: str) -> list[dict[str, Any]]:
    """Per event type: alerts confirmed and disputed, and the precision (None if none
    judged), over the events and feedback released to ``partner``."""
    ev_vis = visible_sql("event", "e.event_id", "e.tlp")
    fb_vis = visible_sql("feedback", "CAST(f.feedback_id AS TEXT)", "f.tlp")
    sql = (
        "WITH latest AS (SELECT f.event_id, f.partner, f.verdict, row_number() OVER "
        "(PARTITION BY f.event_id, f.partner ORDER BY f.feedback_id DESC) AS n FROM feedback f "
        f"WHERE f.verdict IN ('confirm', 'dispute') AND {fb_vis}) "
        "SELECT e.event_type AS t, sum(CASE WHEN l.verdict = 'confirm' THEN 1 ELSE 0 END) AS c, "
        "sum(CASE WHEN l.verdict = 'dispute' THEN 1 ELSE 0 END) AS d "
        "FROM latest l JOIN pub_events e ON e.event_id = l.event_id "
        f"WHERE l.n = 1 AND {ev_vis} GROUP BY e.event_type ORDER BY e.event_type"
    )
    with db.session() as con:
        rows = con.execute(sql, {"partner": partner}).fetchall()
    return [
        {
            "event_type": r["t"],
            "confirmed": int(r["c"]),
            "disputed": int(r["d"]),
            "precision": round(r["c"] / (r["c"] + r["d"]), 4) if r["c"] + r["d"] else None,
        }
        for r in rows
    ]
