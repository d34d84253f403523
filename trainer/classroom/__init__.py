from flask import Blueprint

bp = Blueprint("classroom", __name__, template_folder="templates")

from trainer.classroom import views  # noqa: E402, F401  (routes attach to bp)
