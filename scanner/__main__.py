"""``python -m scanner`` is ``camsweep``."""

import sys

from scanner.cli import main

sys.exit(main())
