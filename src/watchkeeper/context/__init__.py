"""Context the pipeline needs besides AIS: flags (MID), sanctions lists, ports, zones."""

from watchkeeper.context.flags import flag_of
from watchkeeper.context.vessel_types import is_sts_candidate, vessel_class

__all__ = ["flag_of", "is_sts_candidate", "vessel_class"]
