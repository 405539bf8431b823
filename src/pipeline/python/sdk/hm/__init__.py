"""``import hm`` is ``import harmont``: the same module, not a copy."""

import sys

import harmont

sys.modules[__name__] = harmont
