"""`python -m afterschool` is the `afterschool` command."""

import sys

from afterschool.cli import main

sys.exit(main())
