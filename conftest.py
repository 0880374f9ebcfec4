"""Fixtures shared by every test in the workspace: all servers start and stop on loopback."""

pytest_plugins = [
    "tests.harness.aws",
    "tests.harness.postgres",
    "tests.harness.registry",
    "tests.harness.distributed",
    "tests.harness.topology",
    "tests.fakes.conftest_plugin",
    "tests.harness.error_capture",
]
