"""Puts the project root on sys.path, so a bench runs as the README writes it,
`.venv/bin/python bench/<name>.py`, from any directory (Python puts only bench/ there).
Each bench imports this first."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
