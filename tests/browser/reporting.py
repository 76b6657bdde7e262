"""One summary line per check (axe, vnu, Hypothesis, headers), printed at the end of the pytest run.

The lines go to pytest's terminal summary (shown with or without ``-s`` and ``-q``), under a
"portal checks" heading, so CI's log says what was checked::

    from tests.browser.reporting import report

    def test_something(request):
        ...
        report(request.config, "axe: 19 pages x 2 widths scanned, 0 violations")
"""

from __future__ import annotations

import pytest

PLUGIN_NAME = "portal-check-summary"


class _SummaryPlugin:
    def __init__(self) -> None:
        self.lines: dict[str, str] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.lines:
            return
        terminalreporter.write_sep("-", "portal checks")
        for line in self.lines.values():
            terminalreporter.write_line(line)


def report(config: pytest.Config, line: str) -> None:
    """Add ``line`` to the summary printed when the run ends; a later line with the same label (the text
    before the first colon) replaces an earlier one, so a module that reports twice is shown once."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if plugin is None:
        plugin = _SummaryPlugin()
        config.pluginmanager.register(plugin, PLUGIN_NAME)
    plugin.lines[line.split(":", 1)[0]] = line
