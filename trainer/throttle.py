"""Sign-in throttling that stops guessing without locking out the account's owner.

Failed sign-ins are counted twice, in the limiter's storage (Redis when several workers serve,
so every worker sees the same counts):
- per account and address: an address that keeps failing on one account is refused for a while;
- per account, from any address: past the limit, every sign-in to the account is slowed down,
  never refused, so the owner at their own address still gets in while someone guesses elsewhere.
The limit on all sign-in requests from one address is the route's own (Flask-Limiter).
"""

from dataclasses import dataclass

from flask import current_app
from limits import parse_many

from trainer.extensions import limiter


@dataclass(frozen=True)
class Verdict:
    refused: bool  # this address has failed too often on this account
    delay: float  # seconds to wait before answering, when the account is under attack


def _limits(name: str):
    return parse_many(current_app.config[name])


def _pair(email: str, address: str) -> tuple[str, ...]:
    return ("login-pair", email.strip().lower(), address)


def _account(email: str) -> tuple[str, ...]:
    return ("login-account", email.strip().lower())


def _strategy():
    """The limiter's counters; None when rate limiting is switched off (RATELIMIT_ENABLED=0),
    and then nothing is counted or refused."""
    return limiter.limiter if current_app.config.get("RATELIMIT_ENABLED", True) else None


def before_sign_in(email: str, address: str) -> Verdict:
    strategy = _strategy()
    if strategy is None:
        return Verdict(False, 0.0)
    refused = not all(
        strategy.test(limit, *_pair(email, address))
        for limit in _limits("LOGIN_RATE_LIMIT_PAIR")
    )
    attacked = not all(
        strategy.test(limit, *_account(email)) for limit in _limits("LOGIN_RATE_LIMIT_ACCOUNT")
    )
    return Verdict(refused, current_app.config["LOGIN_SLOWDOWN_SECONDS"] if attacked else 0.0)


def failed_sign_in(email: str, address: str) -> None:
    strategy = _strategy()
    if strategy is None:
        return
    for limit in _limits("LOGIN_RATE_LIMIT_PAIR"):
        strategy.hit(limit, *_pair(email, address))
    for limit in _limits("LOGIN_RATE_LIMIT_ACCOUNT"):
        strategy.hit(limit, *_account(email))


def signed_in(email: str, address: str) -> None:
    """The owner got in from here: this address starts afresh on this account."""
    strategy = _strategy()
    for limit in _limits("LOGIN_RATE_LIMIT_PAIR") if strategy else ():
        strategy.clear(limit, *_pair(email, address))
