"""``python -m pipeline``: see :mod:`pipeline.cli`.

Guarded: the run's worker processes are spawned, and a spawned process imports the
parent's main module (as ``__mp_main__``), which must not start a second run.
"""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
