"""`python -m genviz`: the command line (see genviz.cli)."""
import sys

from genviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
