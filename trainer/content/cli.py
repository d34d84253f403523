"""`flask modules validate|sync|stats`."""

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from trainer import audit
from trainer.content.stats import module_stats
from trainer.content.sync import module_folders, sync_modules
from trainer.content.validate import load_modules
from trainer.extensions import db

modules_cli = AppGroup("modules", help="Validate, sync and count content modules.")


def _folders(paths: tuple[str, ...]) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    return module_folders(Path(current_app.config["TRAINER_MODULES_DIR"]))


@modules_cli.command("validate")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False))
def validate_command(strict, paths):
    """Check modules (default: every module in modules/); report every error and warning."""
    checked = failed = 0
    for result in load_modules(_folders(paths)):
        folder = result.folder
        checked += 1
        errors, warnings = result.errors, result.warnings
        failed += bool(errors) or (strict and bool(warnings))
        for problem in [*errors, *warnings]:
            click.echo(str(problem), err=True)
        click.echo(f"{folder.name}: {_verdict(len(errors), len(warnings))}")
    click.echo(f"{checked} module(s) checked, {failed} failed{' (strict)' if strict else ''}.")
    sys.exit(1 if failed else 0)


def _verdict(errors: int, warnings: int) -> str:
    parts = [f"{errors} error(s)"] if errors else []
    parts += [f"{warnings} warning(s)"] if warnings else []
    return ", ".join(parts) or "ok"


@modules_cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False))
def sync_command(paths):
    """Store each valid module as a new version if it changed."""
    outcomes = sync_modules(_folders(paths))
    audit.record(
        audit.Action.MODULES_SYNCED,
        modules=[
            {"folder": o.folder.name, "status": o.status, "version": o.version} for o in outcomes
        ],
    )
    db.session.commit()
    for outcome in outcomes:
        click.echo(str(outcome))
        for error in outcome.errors:
            click.echo(f"  {error}", err=True)
    invalid = sum(o.status == "invalid" for o in outcomes)
    stored = len(outcomes) - invalid
    click.echo(f"{len(outcomes)} module(s): {stored} stored or unchanged, {invalid} refused.")
    sys.exit(1 if invalid else 0)


@modules_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False))
def stats_command(as_json, paths):
    """Lessons, questions by type, scenarios, decision nodes, words and references."""
    stats, failed = [], []
    for result in load_modules(_folders(paths)):
        if result.package is None:
            failed.append(result.folder.name)
        else:
            stats.append(module_stats(result.package))
    if as_json:
        click.echo(json.dumps({"modules": stats}, ensure_ascii=False, indent=2))
    else:
        for s in stats:
            types = ", ".join(f"{k} {v}" for k, v in s["questions"].items() if v) or "none"
            click.echo(
                f"{s['slug']}: {s['lessons']} lessons; questions: {types}; "
                f"{s['scenarios']} scenarios, {s['decision_nodes']} decision nodes; "
                f"words ru {s['words']['ru']}, en {s['words']['en']}; {s['references']} references"
            )
            for quiz in s["quizzes"]:
                click.echo(f"  {_quiz_line(quiz)}")
    for name in failed:
        click.echo(f"{name}: invalid, run `flask modules validate {name}`", err=True)
    sys.exit(1 if failed else 0)


def _quiz_line(quiz: dict) -> str:
    line = f"quiz {quiz['id']}: {quiz['per_attempt']} of {quiz['pool']} questions per attempt"
    if quiz["sections"]:
        parts = ", ".join(f"{x['id']} {x['draw']} of {x['pool']}" for x in quiz["sections"])
        line += f" (sections: {parts})"
    return line
