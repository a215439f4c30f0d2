"""Verbs of the ``hospital-twin`` command line beyond the core ones in :mod:`hospital_twin.cli`.

Each module here registers its commands on ``hospital_twin.cli.app`` when imported; this
package imports them all. Like ``cli.py``, these modules are the edge: they parse
options, call the pure package API, print and write files.
"""

from hospital_twin.commands import roster  # noqa: F401,E402
from hospital_twin.commands import roster_build  # noqa: F401,E402
from hospital_twin.commands import roster_inrc2  # noqa: F401,E402
from hospital_twin.commands import live  # noqa: F401,E402
from hospital_twin.commands import calibrate  # noqa: F401,E402
from hospital_twin.commands import staff  # noqa: F401,E402
