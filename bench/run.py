"""`make bench`: run every benchmark script and pass its JSON lines through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: benchmark scripts, in the order they run
SCRIPTS = ["ingest_bench.py", "odoo_bench.py", "e2e_bench.py", "web_bench.py"]


def main() -> int:
    failed = 0
    for name in SCRIPTS:
        path = HERE / name
        if not path.exists():
            continue
        proc = subprocess.run([sys.executable, str(path)], cwd=HERE.parent)
        if proc.returncode != 0:
            print(f'{{"bench": "{name}", "error": "exit {proc.returncode}"}}', flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
