"""``python -m summarize``: the same as the ``summarize`` command."""

import sys

from .cli import main

sys.exit(main())
