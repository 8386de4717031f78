"""Ship-to-ship transfers in the East China Sea hotspot: visible, receiver dark, both dark."""

from __future__ import annotations

from watchkeeper.simulate._geo import offset
from watchkeeper.simulate.cases._base import CaseBase, H, hotspot_point, port_named
from watchkeeper.simulate.traffic import Vessel

__all__ = ["StsCases"]


class StsCases(CaseBase):
    """STS transfers: a supplier and a receiver meet, drift together, and swap cargo."""

    def sts(self, kind: str) -> None:
        """An STS transfer in the hotspot: ``visible``, ``receiver_dark`` or ``both_dark``."""
        r = self.rng
        p = hotspot_point(r)
        t = float(r.uniform(14, max(15.0, self.end / H - 26))) * H
        dur = float(r.uniform(2.5, 8.0)) * H
        sep = float(r.uniform(40, 350))
        sup_origin = port_named(str(r.choice(["Ningde", "Ningbo-Zhoushan", "Yangshan"]))).anchorage
        rec_origin = port_named(str(r.choice(["Busan", "Incheon", "Keelung"]))).anchorage
        sb = self.arrive(sup_origin, p, t - float(r.uniform(0.5, 4)) * H, 11.0)
        side = offset(*p, float(r.uniform(0, 360)), sep)
        rb = self.arrive(rec_origin, (float(side[0]), float(side[1])), t, 10.0)
        sb.wait_until(t, 0)
        bearing, speed = float(r.uniform(0, 360)), float(r.uniform(0.1, 1.2))
        sb.drift(dur, speed, bearing, 0)
        rb.drift(dur, speed, bearing, 0)
        sb.sail(*sup_origin, 11.0)
        rb.sail(*port_named("Dalian").anchorage, 10.0)
        sup = self.tanker(f"sts_{kind}_supplier", ("CN", (412, 413, 414)), sb)
        rec = self.tanker(f"sts_{kind}_receiver", self.foc(), rb)
        sup.illicit = rec.illicit = True
        amount = float(r.uniform(1.5, 4.0))
        lag = float(r.uniform(0.3, 1.5)) * H
        if kind != "visible":
            rec.dark.append((t - float(r.uniform(2, 6)) * H, t + dur + float(r.uniform(2, 6)) * H))
        if kind == "both_dark":
            sup.dark.append((t - float(r.uniform(1, 5)) * H, t + dur + float(r.uniform(1, 5)) * H))
        rec_change = max(t + dur + lag, rec.dark[0][1] + 60.0) if rec.dark else t + dur + lag
        sup_change = max(t + dur + lag, sup.dark[0][1] + 60.0) if sup.dark else t + dur + lag
        d_rec, d_sup = rec.identity_at(t).draught_m, sup.identity_at(t).draught_m
        self.change(rec, rec_change, draught_m=round(d_rec + amount, 1))
        self.change(sup, sup_change, draught_m=round(max(d_sup - amount, 1.0), 1))
        self._sts_notes(kind, sup, rec, t, dur, p, sep)
        self.note(
            "draught_change",
            rec.mmsi,
            None,
            rec_change,
            rec_change,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details={"delta_m": amount},
        )
        self.note(
            "draught_change",
            sup.mmsi,
            None,
            sup_change,
            sup_change,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details={"delta_m": -amount},
        )

    def _sts_notes(
        self,
        kind: str,
        sup: Vessel,
        rec: Vessel,
        t: float,
        dur: float,
        p: tuple[float, float],
        sep: float,
    ) -> None:
        details = {"separation_m": round(sep, 1), "duration_h": round(dur / H, 2)}
        typ = "encounter" if kind == "visible" else "dark_sts"  # other_mmsi: the dark receiver
        self.note(
            typ,
            sup.mmsi,
            rec.mmsi,
            t,
            t + dur,
            *p,
            illicit=True,
            case=f"sts_{kind}",
            details=details,
        )
