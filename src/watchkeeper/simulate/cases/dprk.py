"""North Korea: a tanker that goes dark before calling at Nampo, a cargo ship that calls with
its AIS on."""

from __future__ import annotations

import numpy as np

from watchkeeper.simulate._geo import distance_m
from watchkeeper.simulate.cases._base import CaseBase, H, port_named
from watchkeeper.simulate.traffic import TrackBuilder, sea_path

__all__ = ["DprkCases"]


class DprkCases(CaseBase):
    """Calls at North Korean ports."""

    def dprk_dark_nampo(self) -> None:
        """A tanker goes dark 120-300 km before North Korean waters and calls at Nampo."""
        r = self.rng
        nampo = port_named("Nampo")
        origin = port_named(str(r.choice(["Dalian", "Yantai", "Qingdao"])))
        b = TrackBuilder(-6 * H, *origin.anchorage)
        b.wait_until(float(r.uniform(0, 10)) * H, 1)
        lats, lons = sea_path(origin.anchorage, nampo.anchorage)
        b.follow(lats, lons, 11.0)
        b.goto(*nampo.berth, 6.0)
        t_in = b.now
        b.hold(float(r.uniform(10, 30)) * H, 5)
        b.goto(*nampo.anchorage, 6.0)
        b.follow(lats[::-1], lons[::-1], 11.0)
        track_builder = b
        v = self.tanker("dprk_dark_nampo", self.foc(), track_builder, destination="DALIAN")
        v.illicit = True
        reach = float(r.uniform(120, 300)) * 1000
        dist = distance_m(v.track.lat, v.track.lon, nampo.lat, nampo.lon)
        near = np.flatnonzero(dist < reach)
        if near.size:
            v.dark.append((float(v.track.t[near[0]]), float(v.track.t[near[-1]])))
        self.change(v, t_in + 3 * H, draught_m=round(v.identity_at(0).draught_m - 2.5, 1))

    def dprk_visit_ais_on(self) -> None:
        """A flag-of-convenience cargo ship calls at Nampo with its AIS on."""
        r = self.rng
        nampo = port_named("Nampo")
        origin = port_named(str(r.choice(["Dalian", "Yantai", "Lianyungang"])))
        b = TrackBuilder(-6 * H, *origin.anchorage)
        b.wait_until(float(r.uniform(0, 20)) * H, 1)
        b.sail(*nampo.anchorage, 10.0)
        b.goto(*nampo.berth, 6.0)
        b.hold(float(r.uniform(12, 30)) * H, 5)
        b.sail(*origin.anchorage, 10.0)
        v = self.tanker("dprk_visit", self.foc(), b, destination="NAMPO")
        v.role = "cargo"
        v.illicit = True
