"""The ceiling: a bare Flask app that renders the lesson page's HTML (saved from Trainer at
prepare time, BENCH_LESSON_HTML) through a Jinja template, with no database, session or
translation. Served with the same gunicorn settings as Trainer, it is what this stack allows
for a page of that size."""

import os
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__)
PAGE = Path(os.environ["BENCH_LESSON_HTML"]).read_text(encoding="utf-8")


@app.route("/")
def lesson():
    return render_template("ceiling.html", page=PAGE)
