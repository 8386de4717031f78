from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.context.vessel_types import VesselClass, is_sts_candidate, vessel_class


def test_harbour_craft_and_people_carriers_are_not_candidates() -> None:
    # towing 31-32, sailing/pleasure 36-37, HSC 40-49, tug/pilot/SAR 50-59, passenger 60-69
    for t in [31, 32, 36, 37, *range(40, 70)]:
        assert not is_sts_candidate(t), t


def test_cargo_tanker_fishing_unknown_are_candidates() -> None:
    for t in [None, 0, 30, 70, 79, 80, 89, 90, 99]:
        assert is_sts_candidate(t), t
    assert vessel_class(None) is VesselClass.UNKNOWN


@given(st.integers(min_value=0, max_value=255))
def test_every_code_has_one_class(t: int) -> None:
    assert isinstance(vessel_class(t), VesselClass)
