"""Real-browser tests (a package so that the test modules can share conftest helpers)."""
