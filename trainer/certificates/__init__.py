from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from trainer.certificates import views  # noqa: E402, F401  (routes attach to bp)
