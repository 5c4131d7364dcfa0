"""Every CLI command is classified: state-changing ones are audited, the rest are read-only."""

from __future__ import annotations

import tradelane.cli.security  # noqa: F401  (registers the security commands)
from tradelane.cli.audit_trail import AUDITED, READ_ONLY, SELF_AUDITED, command_names
from tradelane.cli.main import app


def test_every_command_is_classified_once() -> None:
    names = command_names(app)
    assert len(names) > 30 and len(set(names)) == len(names)
    unclassified = [n for n in names if n not in AUDITED | SELF_AUDITED | READ_ONLY]
    assert not unclassified, f"say whether these change state (cli/security.py): {unclassified}"
    assert not (AUDITED & READ_ONLY) and not (AUDITED & SELF_AUDITED) and not (SELF_AUDITED & READ_ONLY)


def test_audited_commands_are_wrapped() -> None:
    from tradelane.cli.audit_trail import _walk

    for name, info in _walk(app):
        assert getattr(info.callback, "_audited", False) == (name in AUDITED), name
