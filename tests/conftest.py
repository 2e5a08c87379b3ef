"""Fixtures shared by every test group, the ``--soak`` option, and hypothesis profiles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.support import servers
from tests.support.figures import Figures

# Properties here run real I/O (SQLite files, HTTP over loopback): an example's time says
# nothing about a bug, so no deadline. Example counts come from the profile: a few hundred in
# the suite, ten thousand in `scripts/soak`.
settings.register_profile(
    "suite",
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "soak",
    deadline=None,
    max_examples=10_000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("triggersqs")
    group.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the reliability tests at full size (scripts/soak): 10,000 messages, 10+ kills,"
        " 10,000 examples per property",
    )
    group.addoption(
        "--figures",
        default=None,
        metavar="PATH",
        help="write the reliability tests' figures (faults, messages, examples) as JSON to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("soak" if config.getoption("--soak") else "suite")


@pytest.fixture(scope="session")
def soak(request: pytest.FixtureRequest) -> bool:
    """True under ``--soak``: tests run at full size."""
    return bool(request.config.getoption("--soak"))


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """Where reliability tests put what they measured; written to ``--figures`` at the end."""
    collected = Figures(soak=bool(request.config.getoption("--soak")))
    yield collected
    path = request.config.getoption("--figures")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(collected.as_json(), indent=2) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the reliability figures of this run, if any test recorded some."""
    lines = Figures.summary_lines()
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server (SQS, DynamoDB) on loopback for the whole session: its endpoint URL."""
    with servers.moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """DynamoDB Local on loopback for the whole session: its endpoint URL (fails if missing)."""
    with servers.dynamodb_local() as endpoint:
        yield endpoint
