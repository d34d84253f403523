import pytest

from trainer.urls import safe_next


@pytest.mark.parametrize("target", ["/", "/account/", "/register?code=ABC", "/a/b?c=d#e"])
def test_local_paths_are_kept(target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "account",
        "/ok\r\nSet-Cookie: x=1",
        "http:/evil",
    ],
)
def test_anything_else_falls_back(target):
    assert safe_next(target, "/home") == "/home"
