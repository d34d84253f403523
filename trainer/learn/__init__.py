from flask import Blueprint

bp = Blueprint("learn", __name__, template_folder="templates")

from trainer.learn import fragments, views  # noqa: E402, F401  (routes attach to bp)

bp.record_once(lambda state: fragments.register(state.app))
