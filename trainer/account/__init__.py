from flask import Blueprint

bp = Blueprint("account", __name__, template_folder="templates")

from trainer.account import email, views  # noqa: E402, F401  (routes attach to bp)
