"""tests/orchestration reuses the hand-made warehouse and the SMTP server of tests/expectations."""

from __future__ import annotations

import sys
from pathlib import Path

EXPECTATIONS_TESTS = Path(__file__).resolve().parents[1] / "expectations"
if str(EXPECTATIONS_TESTS) not in sys.path:
    sys.path.insert(0, str(EXPECTATIONS_TESTS))
