from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from trainer.admin import views  # noqa: E402, F401  (routes attach to bp)
