"""``import hm`` is ``import harmont``: the same module, and ``hm.x`` the same ``harmont.x``, not copies
(a second copy of a module would make its classes different ones, and its steps unrecognised)."""

import sys

import harmont
import harmont.json_emit  # noqa: F401 (loaded lazily by harmont; aliased below with the rest)

for _name, _module in list(sys.modules.items()):
    if _name.startswith("harmont."):
        sys.modules["hm" + _name[len("harmont") :]] = _module
sys.modules[__name__] = harmont
