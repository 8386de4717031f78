"""Port lists and the nearest-place index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from watchkeeper.context.ports import PlaceIndex, read_wpi_csv, searoute_ports


def test_wpi_has_nampo_and_index_finds_it(shared_data: Path) -> None:
    wpi = read_wpi_csv(shared_data / "ports" / "wpi" / "WPI_ports.csv")
    assert wpi.num_rows == 3669
    dist, idx = PlaceIndex(wpi).nearest(np.array([38.72, 0.0]), np.array([125.45, -30.0]))
    assert dist[0] < 5 and wpi.column("name")[int(idx[0])].as_py() == "NAMPO"
    assert np.isinf(dist[1]) and idx[1] == -1


def test_searoute_ports_cover_the_world() -> None:
    ports = searoute_ports()
    assert ports.num_rows > 3000
    assert "North_korea" in set(ports.column("country").to_pylist())
