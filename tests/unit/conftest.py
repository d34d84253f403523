import pytest


@pytest.fixture
def app(make_app):
    # Domain messages are asserted in English here; tests/web covers the Russian default.
    return make_app(BABEL_DEFAULT_LOCALE="en")
