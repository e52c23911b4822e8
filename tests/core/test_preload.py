"""A run's late heavy imports start early on threads of their own, once each."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_matplotlib_is_imported_on_its_own_thread_with_the_agg_backend() -> None:
    code = (
        "import sys, threading\n"
        "from pipeline.core.store.report import import_in_background\n"
        "import_in_background(); import_in_background()\n"
        "loaders = [t for t in threading.enumerate() if t.name == 'import-matplotlib']\n"
        "print(len(loaders), 'matplotlib.pyplot' in sys.modules)\n"
        "loaders[0].join()\n"
        "import matplotlib\n"
        "print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend().lower())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert proc.stdout.split("\n")[:2] == ["1 False", "True agg"]
