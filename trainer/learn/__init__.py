from flask import Blueprint

bp = Blueprint("learn", __name__, template_folder="templates")

from trainer.learn import views  # noqa: E402, F401  (routes attach to bp)
