"""Position and identity games: position spoofing, a shared MMSI, renaming at sea and a
fraudulent IMO number."""

from __future__ import annotations

import numpy as np

from watchkeeper.simulate._geo import offset
from watchkeeper.simulate.cases._base import CaseBase, H, hotspot_point
from watchkeeper.simulate.traffic import Identity, TrackBuilder, Vessel

__all__ = ["IdentityCases"]


class IdentityCases(CaseBase):
    """Vessels that lie about where they are or who they are."""

    def spoof_jump(self) -> None:
        """Positions jump 40-300 km away for 1-6 h, then come back (position spoofing)."""
        r = self.rng
        v = self.merchant()
        t0 = self.at_sea_time(v)
        dur = float(r.uniform(1, 6)) * H
        dlat, dlon = offset(0.0, 0.0, float(r.uniform(0, 360)), float(r.uniform(40, 300)) * 1000)
        v.spoof.append((t0, t0 + dur, float(dlat), float(dlon)))
        v.illicit = True
        lat, lon, *_ = v.track.sample(np.array([t0]))
        self.note(
            "spoofing",
            v.mmsi,
            None,
            t0,
            t0 + dur,
            float(lat[0]),
            float(lon[0]),
            illicit=True,
            case="spoof_jump",
            details={"jump_km": "40-300"},
        )

    def shared_mmsi(self) -> None:
        """A tanker clones a merchant's MMSI and name for 12-48 h while far away."""
        r = self.rng
        v = self.merchant()
        p = hotspot_point(r)
        b = TrackBuilder(-6 * H, *p)
        t0 = float(r.uniform(0, self.end / H - 14)) * H
        dur = min(float(r.uniform(12, 48)) * H, self.end - t0)
        b.fish_until(self.end + 6 * H, (p[0], p[1], 0.8), r)  # slow wandering, 2.5-4.5 kn
        clone = Vessel(
            f"clone-{v.mmsi}",
            v.mmsi,
            "A",
            "tanker",
            v.flag,
            v.length_m,
            v.beam_m,
            b.build(),
            list(v.identities),
        )
        clone.track.status[:] = 0
        clone.outages = [(-1e9, t0), (t0 + dur, 1e12)]  # silent, not a gap of the MMSI
        clone.illicit = v.illicit = True
        self.fb.vessels.append(clone)
        self.note(
            "spoofing",
            v.mmsi,
            None,
            t0,
            t0 + dur,
            *p,
            illicit=True,
            case="shared_mmsi",
            details={"clone_of": v.key},
        )

    def rename_at_sea(self) -> None:
        """Name, IMO and call sign change at sea (identity laundering)."""
        v = self.merchant()
        t = self.at_sea_time(v)
        new_name = self.fb.new_name("tanker")
        self.change(v, t, name=new_name, imo=self.fb.new_imo(), callsign=self.fb.callsign(v.flag))
        v.illicit = True
        lat, lon, *_ = v.track.sample(np.array([t]))
        self.note(
            "identity_change",
            v.mmsi,
            None,
            t,
            t,
            float(lat[0]),
            float(lon[0]),
            illicit=True,
            case="rename_at_sea",
            details={"new_name": new_name},
        )

    def fraudulent_imo(self) -> None:
        """A tanker broadcasts an IMO number that fails its check digit."""
        v = self.merchant()
        bad = self.fb.new_imo(valid=False)
        v.identities = [(t, Identity(**{**i.__dict__, "imo": bad})) for t, i in v.identities]
        v.illicit = True
        self.note(
            "identity_change",
            v.mmsi,
            None,
            0.0,
            self.end,
            float(v.track.lat[0]),
            float(v.track.lon[0]),
            illicit=True,
            case="fraudulent_imo",
            details={"imo": bad},
        )
