"""`python -m demo`: post the synthetic data set through the public APIs (see demo/cli.py)."""

import sys

from demo.cli import main

sys.exit(main())
