from flask import Blueprint

bp = Blueprint("scenarios", __name__, template_folder="templates")

from trainer.scenarios import views  # noqa: E402, F401  (routes attach to bp)
