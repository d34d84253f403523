"""The signed-in floor: Trainer's own app, with every hook it runs on a request (the session,
the signed-in user loaded from the database, the input check, the security headers, the retry
wrapper), answering a page that does nothing else. Served with the same gunicorn settings, it is
the most any signed-in page of Trainer could reach; a page's share of it is what its own work
(queries, template) costs."""

from flask_login import current_user, login_required

from trainer import create_app

app = create_app()


@app.route("/bench/floor")
@login_required
def floor():
    return f"signed in: {current_user.id}"
