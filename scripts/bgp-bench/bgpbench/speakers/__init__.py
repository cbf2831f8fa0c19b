"""The speaker adapters, by label."""

from .bird import BirdSpeaker
from .frr import FrrCoalesce0Speaker, FrrSpeaker
from .gobgp import GobgpSpeaker
from .lbd import LbdNoticeSpeaker, LbdSpeaker

ADAPTERS = {cls.label: cls for cls in (
    LbdSpeaker, LbdNoticeSpeaker, GobgpSpeaker, FrrSpeaker, FrrCoalesce0Speaker, BirdSpeaker)}
