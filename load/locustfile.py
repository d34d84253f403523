"""A realistic mix for `make load` (load/run.sh): learners sign in and work through a module,
trainers open the dashboards of their cohorts.

Learners (accounts load-N@example.org made by load/prepare.py) read the module page, then
each lesson in order (viewed and marked done), start the quiz and answer it page by page
(each page saved, then saved again on the way to the next page or the review; then submitted),
play each scenario from a new run to its ending, and start over. Trainers (the demo trainer)
open the cohort list and one of their cohorts' dashboards with a filter, sort or page, now and
then a learner's record. Every form is filled from the page it is on, CSRF token included;
each simulated person comes from their own address (X-Forwarded-For, read because the server
runs with TRAINER_PROXY_HOPS=1), as real users behind a reverse proxy do.
"""

import csv
import itertools
import os
import random
import re
import time
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

MODULE = os.environ.get("LOAD_MODULE", "harmony-police")
PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-2026")
TRAINER = ("trainer@example.org", "trainer-demo-2026")
MAX_SCENARIO_ACTS = 60
MAX_QUIZ_PAGES = 20
numbers = itertools.count(1)


class Form:
    def __init__(self, attrs: dict):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.classes = (attrs.get("class") or "").split()
        self.fields: list[dict] = []  # input, select, textarea
        self.buttons: list[tuple[str, str]] = []  # (name, value) of submit buttons

    def values(self, rng: random.Random) -> dict[str, list[str]]:
        """What a person filling it in sends: hidden fields as they are, one option of each
        radio group and select, text where text is asked, numbers at their minimum."""
        data: dict[str, list[str]] = {}
        groups: dict[str, list[str]] = {}
        for f in self.fields:
            name, kind = f.get("name"), f.get("type", "text")
            if not name:
                continue
            if kind in ("radio", "checkbox"):
                groups.setdefault(name, []).append(f.get("value", "on"))
            elif kind == "hidden":
                data.setdefault(name, []).append(f.get("value", ""))
            elif kind == "number":
                data[name] = [f.get("value") or f.get("min") or "0"]
            elif kind == "select":
                options = [o for o in f.get("options", []) if o]
                data[name] = [rng.choice(options)] if options else []
            elif kind in ("text", "textarea"):
                data[name] = [f.get("value") or "Ответ слушателя для нагрузочного теста."]
        for name, options in groups.items():
            data[name] = [rng.choice(options)]
        return data


class Page(HTMLParser):
    """The forms and links of an HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif self._form is None:
            return
        elif tag == "input":
            self._form.fields.append({**a, "type": a.get("type", "text").lower()})
            if a.get("type") == "submit" and a.get("name"):
                self._form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.buttons.append((a.get("name", ""), a.get("value", "")))
        elif tag == "textarea":
            self._form.fields.append({**a, "type": "textarea"})
        elif tag == "select":
            self._select = {**a, "type": "select", "options": []}
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def form(self, action_pattern: str) -> Form | None:
        posted = (f for f in self.forms if f.method == "post")
        return next((f for f in posted if re.search(action_pattern, f.action)), None)


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 4)  # reading, thinking, typing

    def on_start(self):
        self.rng = random.Random()  # noqa: S311  (load simulation, not secrets)
        n = next(numbers)
        self.client.headers["X-Forwarded-For"] = f"10.{n // 250 % 250}.{n % 250}.{n % 7 + 1}"
        self.client.headers["Accept-Language"] = "ru"

    def sign_in(self, email: str, password: str) -> None:
        page = Page(self.client.get("/login", name="sign-in page").text)
        data = page.forms[0].values(self.rng) if page.forms else {}
        data |= {"email": [email], "password": [password]}
        response = self.client.post("/login", data=data, name="sign in", allow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"{email} could not sign in: HTTP {response.status_code}")

    def post(self, form: Form, name: str, extra: dict | None = None):
        data = form.values(self.rng) | (extra or {})
        return self.client.post(form.action, data=data, name=name)


class Learner(Person):
    weight = 9

    def on_start(self):
        super().on_start()
        self.email = f"load-{next(learners)}@example.org"
        self.sign_in(self.email, PASSWORD)

    @task
    def work_through_the_module(self):
        self.client.get("/learn/my", name="my training")
        module = Page(self.client.get(f"/learn/{MODULE}/", name="module page").text)
        base = f"/learn/{MODULE}/"
        lessons = unique(link for link in module.links if link.startswith(base + "lessons/"))
        for lesson in lessons:
            self.lesson(lesson)
        for quiz in unique(link for link in module.links if link.startswith(base + "quizzes/")):
            self.quiz(quiz)
        for scenario in unique(
            link for link in module.links if link.startswith(base + "scenarios/")
        ):
            self.scenario(scenario)

    def lesson(self, url: str) -> None:
        page = Page(self.client.get(url, name="lesson page").text)
        read_on = [link for link in page.links if "show=text" in link]
        if read_on:  # a content warning first: the text comes when the learner reads on
            page = Page(self.client.get(read_on[0], name="lesson page").text)
        self.wait()
        done = page.form(r"/done$")
        if done is not None:
            self.post(done, "lesson done")

    def quiz(self, url: str) -> None:
        page = Page(self.client.get(url, name="quiz page").text)
        start = page.form(r"/start$")
        if start is None:
            return
        response = self.post(start, "quiz start")
        for _ in range(MAX_QUIZ_PAGES):
            page = Page(response.text)
            submit = page.form(r"/submit$")
            if submit is not None:
                self.wait()
                self.post(submit, "quiz submit")
                return
            form = next((f for f in page.forms if "quiz-form" in f.classes), None)
            if form is None:
                return
            self.wait()
            self.post(form, "quiz answers save", {"go": ["stay"]})  # "Save answers", then on
            self.wait()
            go = "next" if "next" in dict(form.buttons).values() else "review"
            response = self.post(form, "quiz answers save", {"go": [go]})

    def scenario(self, url: str) -> None:
        landing = Page(self.client.get(url, name="scenario page").text)
        new_run = landing.form(r"/runs$")
        if new_run is None:
            return
        response = self.post(new_run, "scenario start")
        for _ in range(MAX_SCENARIO_ACTS):
            form = Page(response.text).form(r"/runs/\d+$")
            if form is None:
                return  # an ending: the debrief
            choices = [value for name, value in form.buttons if name == "choice"]
            extra = {"choice": [self.rng.choice(choices)]} if choices else {}
            self.wait()
            response = self.post(form, "scenario choice", extra)


class Trainer(Person):
    weight = 1

    def on_start(self):
        super().on_start()
        self.sign_in(*TRAINER)
        cohorts = Page(self.client.get("/cohorts/", name="cohort list").text)
        self.cohorts = unique(
            link for link in cohorts.links if re.fullmatch(r"/cohorts/\d+/", link)
        )

    @task(4)
    def dashboard(self):
        if not self.cohorts:
            return
        cohort = self.rng.choice(self.cohorts)
        view = self.rng.choice(
            ["", "?status=overdue", "?status=failed_twice", "?sort=profession", "?page=2",
             "?status=in_progress&page=2", "?q=иван"]
        )  # fmt: skip
        page = Page(self.client.get(cohort + view, name="dashboard").text)
        learners = [link for link in page.links if re.fullmatch(r"/cohorts/\d+/learners/\d+", link)]
        if learners and self.rng.random() < 0.3:
            self.client.get(self.rng.choice(learners), name="learner record")

    @task(1)
    def cohort_list(self):
        self.client.get("/cohorts/", name="cohort list")


def unique(links) -> list[str]:
    return list(dict.fromkeys(link.split("#")[0] for link in links))


learners = itertools.count(1)


# Every request's time, for load/report.py: p95 over the whole run and after the ramp-up (once
# every simulated person has signed in). Written to LOAD_SAMPLES, when set, as locust quits.
samples: list[tuple] = []


@events.request.add_listener
def _sample(request_type, name, response_time, exception=None, **_kw):
    samples.append((f"{time.time():.3f}", f"{request_type} {name}", f"{response_time:.1f}",
                    "0" if exception is None else "1"))  # fmt: skip


@events.quitting.add_listener
def _write_samples(**_kw):
    path = os.environ.get("LOAD_SAMPLES")
    if not path:
        return
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["at", "request", "ms", "failed"])
        out.writerows(samples)
