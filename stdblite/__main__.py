"""``python -m stdblite`` is the ``stdb`` command."""

import sys

from .cli import main

sys.exit(main())
