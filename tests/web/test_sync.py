"""`flask modules sync`: immutable versions, unchanged modules skipped, bad ones refused."""

import json

import yaml
from sqlalchemy import select

from tests.conftest import EXAMPLE_MODULE, sync_example
from trainer.content.sync import sync_modules
from trainer.extensions import db
from trainer.models import Module, ModuleVersion


def versions(app, slug="example-module") -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ModuleVersion.number)
                .join(Module, ModuleVersion.module_id == Module.id)
                .where(Module.slug == slug)
                .order_by(ModuleVersion.number)
            )
        )


def test_sync_stores_a_version_and_skips_it_when_unchanged(app, module_copy):
    assert sync_example(app, module_copy).status == "created"
    assert sync_example(app, module_copy).status == "unchanged"
    assert versions(app) == [1]


def test_a_changed_module_becomes_a_new_version_and_the_old_one_stays(app, module_copy):
    sync_example(app, module_copy)
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(lesson.read_text() + "\n\nOne more sentence.\n")
    outcome = sync_example(app, module_copy)
    assert (outcome.status, outcome.version) == ("updated", 2)
    with app.app_context():
        module = db.session.scalar(select(Module))
        assert module.latest_version.number == 2
        first = db.session.scalar(select(ModuleVersion).where(ModuleVersion.number == 1))
        assert "One more sentence" not in json.dumps(first.data)


def test_an_invalid_module_is_not_stored_and_the_others_are(app, module_copy, tmp_path):
    broken = tmp_path / "modules" / "broken-module"
    broken.mkdir()
    (broken / "module.yaml").write_text("schema_version: 1\nslug: broken-module\ntitle: [\n")
    with app.app_context():
        outcomes = sync_modules([broken, module_copy])
        db.session.commit()
        assert [o.status for o in outcomes] == ["invalid", "created"]
        assert "YAML syntax error" in outcomes[0].errors[0].message
        assert db.session.scalars(select(Module.slug)).all() == ["example-module"]


def test_cli_validate_reports_errors_and_exits_non_zero(app, module_copy):
    quiz = module_copy / "quizzes" / "check.yaml"
    data = yaml.safe_load(quiz.read_text())
    del data["questions"][2]["text"]["en"]
    quiz.write_text(yaml.safe_dump(data, allow_unicode=True))
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["modules", "validate", str(module_copy)])
    assert bad.exit_code == 1
    assert "quizzes/check.yaml:" in bad.output
    assert "questions[2].text.en: missing English text" in bad.output
    good = runner.invoke(args=["modules", "validate", str(EXAMPLE_MODULE)])
    assert good.exit_code == 0 and "example-module: ok" in good.output


def test_cli_sync_and_stats_json(app):
    runner = app.test_cli_runner()
    synced = runner.invoke(args=["modules", "sync", str(EXAMPLE_MODULE)])
    assert synced.exit_code == 0 and "example-module: created, version 1" in synced.output
    result = runner.invoke(args=["modules", "stats", "--json", str(EXAMPLE_MODULE)])
    [stats] = json.loads(result.output)["modules"]
    assert stats["slug"] == "example-module" and stats["lessons"] == 3
    assert set(stats["questions"]) == {
        "single_choice", "multiple_choice", "true_false", "matching", "ordering", "numeric",
        "short_text", "essay",
    }  # fmt: skip
    assert all(n == 1 for n in stats["questions"].values())
    assert stats["scenarios"] == 2 and stats["decision_nodes"] == 3 and stats["references"] == 3
    assert stats["words"]["ru"] > 200 and stats["words"]["en"] > 200
