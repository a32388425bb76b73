"""``python -m jcds2.cli``: the same as the ``jcds2`` command."""

import sys

from jcds2.cli import main

sys.exit(main())
