"""`python -m sealdrop.cli`: the same command as the `sealdrop` script."""

import sys

from sealdrop.cli.main import main

sys.exit(main())
