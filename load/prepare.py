"""The learners of the load test: `python load/prepare.py N` (after `flask demo --learners ...`
on DATABASE_URL) makes load-1@example.org ... load-N@example.org, police officers with the
password LOAD_PASSWORD, members of the demo trainer's cohorts in turn, with no progress yet.
Made once: existing load accounts are left as they are.

Each account costs one password hash at sign-in, as a real one does; making them shares one
hash (a KDF per account would take N times as long and measure nothing)."""

import os
import sys

from sqlalchemy import func, insert, select

from trainer import create_app
from trainer.extensions import db
from trainer.models import Cohort, CohortMember, Profession, Role, User, cohort_trainers
from trainer.models.types import utcnow
from trainer.models.users import fold_for_search

PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-2026")
TRAINER = "trainer@example.org"


def trainer_cohorts() -> list[int]:
    return list(
        db.session.scalars(
            select(Cohort.id)
            .join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id)
            .join(User, User.id == cohort_trainers.c.user_id)
            .where(User.email == TRAINER)
            .order_by(Cohort.id)
        )
    )


def make_learners(count: int, cohorts: list[int]) -> int:
    existing = db.session.scalar(select(func.count()).where(User.email.like("load-%@example.org")))
    if existing:
        return 0
    probe = User()
    probe.set_password(PASSWORD)
    now = utcnow()
    rows = [
        {
            "email": f"load-{n}@example.org",
            "name": f"Нагрузочный Слушатель {n}",
            "password_hash": probe.password_hash,
            "role": Role.LEARNER,
            "profession": Profession.POLICE,
            "search_key": fold_for_search(f"Нагрузочный Слушатель {n} load-{n}@example.org"),
            "created_at": now,
        }
        for n in range(1, count + 1)
    ]
    ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
    db.session.execute(
        insert(CohortMember),
        [
            {"cohort_id": cohorts[i % len(cohorts)], "user_id": uid, "joined_at": now,
             "accepted_at": now}
            for i, uid in enumerate(ids)
        ],
    )  # fmt: skip
    db.session.commit()
    return count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    app = create_app()
    with app.app_context():
        cohorts = trainer_cohorts()
        if not cohorts:
            sys.exit(f"no cohort of {TRAINER}: run `flask demo --learners N` first")
        made = make_learners(count, cohorts)
    print(f"load learners: {made} made (load-1 ... load-{count}@example.org), "
          f"in {len(cohorts)} cohort(s) of {TRAINER}")  # fmt: skip


if __name__ == "__main__":
    main()
