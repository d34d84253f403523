from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

# Routes attach to bp.
from trainer.auth import activation, recovery, verification, views  # noqa: E402, F401
