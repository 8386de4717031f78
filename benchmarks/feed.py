"""A realistic AIS feed, seeded: what merged satellite and multi-receiver feeds deliver.

Every line carries an NMEA 4.10 tag block; the line shapes and their shares:

* **Receivers.** 40 terrestrial stations and 6 satellites. Tag blocks are written
  ``s:..,c:..`` (60 %), ``c:..,s:..`` (20 %) or ``c:..`` alone with the station in a
  receiver trailer after the checksum (20 %; ``,rAIS0012`` or ``,r0012,1577836800``, the
  NAIS / receiver-software shape). 15 % of lines also end with a unix-time trailer.
* **Multi-sentence messages.** Each vessel reports every 75 s on average (a satellite-era
  mix) and one report in five is its two-sentence type 5, so a ship sends type 5 about every
  6 minutes and ~30 % of lines belong to multi-sentence groups. Groups are tagged
  ``g:1-2-<id>`` / ``g:2-2-<id>`` (the group id counts per receiver); the second part carries
  only its ``g:`` field half of the time (as the Norwegian feed and satellite providers
  write it) and comes 1-3 lines late a fifth of the time (other receivers' lines
  interleaved). Sequence ids cycle 0-9 per receiver and channel.
* **Duplicates** (3 % of lines): a report heard by a second receiver (its own tag block and
  group id), or the same line written twice by a relay.
* **Corrupt lines** (1 %): a payload character flipped (bad checksum), a line cut short, a
  damaged tag-block checksum, or a garbled time.
* Message mix otherwise as the decode benchmark: class A positions, class B (18, 24), a few
  19 and 27, base stations (4) and aids to navigation (21).

``feed_lines(n, seed)`` returns the lines; ``write_feed(path, n, seed)`` caches a file.
Encoding uses pyais ``encode_dict`` (~30 s per million lines).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from pyais.encode import encode_dict

__all__ = ["feed_lines", "write_feed"]

T0 = 1_577_836_800  # 2020-01-01T00:00:00Z
STATIONS = [f"{i:04d}" for i in range(40)]
SATELLITES = [f"SAT{i}" for i in range(6)]
DUPLICATE = 0.03  # share of lines that are duplicates (issue: 3 %)
CORRUPT = 0.01  # share of lines that are corrupt (issue: 1 %)


def _checksum(text: str) -> str:
    value = 0
    for ch in text.encode():
        value ^= ch
    return f"{value:02X}"


class _Feed:
    """The writer's state: clock, receivers' sequence and group counters, output lines."""

    def __init__(self, seed: int, n_vessels: int) -> None:
        self.renamed = False  # renames (feed_lines): 1 vessel in 50 reports a new name
        self.rng = random.Random(seed)
        rng = self.rng
        self.vessels = {
            rng.randrange(201_000_000, 775_999_999): [rng.uniform(-60, 70), rng.uniform(-170, 170)]
            for _ in range(n_vessels)
        }
        self.mmsis = list(self.vessels)
        self.unix = T0
        self.seq: dict[str, int] = {}
        self.gid: dict[str, int] = {}
        self.out: list[str] = []
        self.late: list[tuple[int, str]] = []  # (lines to wait, line): delayed second parts

    def receiver(self) -> str:
        rng = self.rng
        return rng.choice(SATELLITES) if rng.random() < 0.3 else rng.choice(STATIONS)

    def tag(self, rcv: str, unix: int, group: str | None) -> tuple[str, str]:
        """Tag block and trailer of one line of receiver ``rcv``."""
        r = self.rng.random()
        fields = [f"s:{rcv}", f"c:{unix}"] if r < 0.6 else [f"c:{unix}", f"s:{rcv}"]
        trailer = ""
        if r >= 0.8:
            fields = [f"c:{unix}"]
            trailer = f",r{rcv}" if self.rng.random() < 0.5 else f",r{rcv},{unix}"
        elif self.rng.random() < 0.15:
            trailer = f",{unix}"
        if group is not None:
            fields.insert(0, f"g:{group}")
        body = ",".join(fields)
        return f"\\{body}*{_checksum(body)}\\", trailer

    def emit(self, line: str) -> None:
        self.out.append(line)
        still = []
        for wait, text in self.late:
            if wait <= 1:
                self.out.append(text)
            else:
                still.append((wait - 1, text))
        self.late = still

    def message(self, msg: dict[str, Any], rcv: str) -> list[str]:
        """The lines of one message as receiver ``rcv`` writes them."""
        key = f"{rcv}{self.rng.choice('AB')}"
        self.seq[key] = (self.seq.get(key, -1) + 1) % 10
        sentences = encode_dict(
            msg, talker_id="AI", sentence_type="VDM", radio_channel=key[-1], seq_id=self.seq[key]
        )
        if len(sentences) == 1:
            tag, trailer = self.tag(rcv, self.unix, None)
            return [f"{tag}{sentences[0]}{trailer}"]
        self.gid[rcv] = (self.gid.get(rcv, 0) + 1) % 100_000
        lines = []
        for k, s in enumerate(sentences, start=1):
            group = f"{k}-{len(sentences)}-{self.gid[rcv]}"
            if k > 1 and self.rng.random() < 0.5:  # later parts: the g: field alone
                body = f"g:{group}"
                lines.append(f"\\{body}*{_checksum(body)}\\{s}")
            else:
                tag, trailer = self.tag(rcv, self.unix, group)
                lines.append(f"{tag}{s}{trailer}")
        return lines

    def corrupt(self, line: str) -> str:
        rng = self.rng
        how = rng.randrange(4)
        if how == 0:  # a payload character flipped: the sentence checksum fails
            at = line.rfind(",", 0, line.rfind("*")) - 3
            return line[:at] + ("0" if line[at] != "0" else "1") + line[at + 1 :]
        if how == 1:  # cut short
            return line[: rng.randrange(10, max(11, len(line) - 5))]
        if how == 2:  # tag-block checksum damaged
            star = line.find("*")
            return (
                line[: star + 1]
                + ("00" if line[star + 1 : star + 3] != "00" else "11")
                + line[star + 3 :]
            )
        return line.replace("c:1", "c:x", 1) if "c:1" in line else line[:-3]

    def step(self) -> None:
        rng = self.rng
        mmsi = rng.choice(self.mmsis)
        state = self.vessels[mmsi]
        self.unix += rng.random() < 0.4
        msg = _message(rng, mmsi, state)
        if self.renamed and msg["type"] == 5 and mmsi % 50 == 0:
            msg["shipname"] = f"RENAMED {mmsi % 7919}"
        rcv = self.receiver()
        lines = self.message(msg, rcv)
        if len(lines) > 1 and rng.random() < 0.2:  # second part late, others interleaved
            self.late.append((rng.randint(1, 3), lines.pop()))
        for line in lines:
            self.emit(self.corrupt(line) if rng.random() < CORRUPT else line)
        r = rng.random()
        if r < DUPLICATE * 2 / 3:  # heard by a second receiver
            for line in self.message(msg, self.receiver()):
                self.emit(line)
        elif r < DUPLICATE:  # written twice by a relay
            self.emit(lines[-1] if lines else self.out[-1])


def _message(rng: random.Random, mmsi: int, state: list[float]) -> dict[str, Any]:
    """One report of a vessel: its type 5 one time in five, else a position or other type."""
    state[0] = max(-89.0, min(89.0, state[0] + rng.uniform(-0.01, 0.01)))
    state[1] = max(-179.0, min(179.0, state[1] + rng.uniform(-0.01, 0.01)))
    pos = {
        "mmsi": mmsi, "lat": round(state[0], 5), "lon": round(state[1], 5),
        "speed": round(rng.uniform(0, 20), 1), "course": round(rng.uniform(0, 359.9), 1),
        "heading": rng.randrange(0, 360),
    }  # fmt: skip
    r = rng.random()
    if r < 0.20:
        return {
            "type": 5, "mmsi": mmsi, "imo": 9_000_000 + mmsi % 999_999,
            "callsign": f"C{mmsi % 100000}", "shipname": f"VESSEL {mmsi % 7919}",
            "ship_type": 70 + mmsi % 20, "to_bow": 100, "to_stern": 20, "to_port": 10,
            "to_starboard": 12, "month": 3, "day": 4, "hour": 5, "minute": 6,
            "draught": round(5 + mmsi % 10, 1), "destination": "NAMPO",
        }  # fmt: skip
    if r < 0.80:
        return {"type": rng.choice((1, 1, 1, 3)), "status": rng.choice((0, 0, 1, 5, 7)), **pos}
    if r < 0.88:
        return {"type": 18, **pos}
    if r < 0.91:
        part = rng.randrange(2)
        extra = {"shipname": f"B VESSEL {mmsi % 541}"} if part == 0 else {
            "ship_type": 37, "callsign": "B123", "to_bow": 8, "to_stern": 4,
            "to_port": 2, "to_starboard": 2,
        }  # fmt: skip
        return {"type": 24, "mmsi": mmsi, "partno": part, **extra}
    if r < 0.92:
        return {"type": 19, "shipname": "CLASS B EXT", "ship_type": 36, **pos}
    if r < 0.93:
        return {"type": 27, "mmsi": mmsi, "lat": pos["lat"], "lon": pos["lon"], "speed": 9,
                "course": 90, "status": 0}  # fmt: skip
    if r < 0.98:
        base = {"type": 4, "mmsi": 2_570_000 + mmsi % 100, "lat": pos["lat"], "lon": pos["lon"]}
        return {**base, "year": 2020, "month": 1, "day": 1, "hour": 0, "minute": 0}
    return {"type": 21, "mmsi": 992_570_000 + mmsi % 1000, "name": "BUOY", "lat": pos["lat"],
            "lon": pos["lon"]}  # fmt: skip


def feed_lines(
    n: int, seed: int = 7, n_vessels: int | None = None, *, renames: bool = False
) -> list[str]:
    """``n`` lines of the feed (the last message may be cut at ``n``). ``renames``: from
    the middle of the feed on, one vessel in 50 (MMSI divisible by 50) reports a new name in
    its type 5, an identity change for live alerts to find (the same lines otherwise)."""
    feed = _Feed(seed, n_vessels or max(10, n // 200))
    while len(feed.out) < n:
        feed.renamed = renames and len(feed.out) >= n // 2
        feed.step()
    return feed.out[:n]


def write_feed(path: Path, n: int, seed: int = 7, *, renames: bool = False) -> Path:
    """Write ``n`` lines to ``path`` (cached: kept when it exists)."""
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(feed_lines(n, seed, renames=renames)) + "\n")
    tmp.rename(path)
    return path
