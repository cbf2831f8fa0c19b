"""The speaker adapters, by label."""

from .bird import BirdSpeaker
from .frr import FrrCoalesce0Speaker, FrrSpeaker
from .gobgp import GobgpSpeaker
from .lbd import LbdSpeaker

ADAPTERS = {cls.label: cls for cls in (LbdSpeaker, GobgpSpeaker, FrrSpeaker, FrrCoalesce0Speaker, BirdSpeaker)}
