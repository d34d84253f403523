"""Store validated modules as immutable versions. Flushes; the caller commits."""

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text

from trainer.content.validate import (
    ContentError,
    ModulePackage,
    load_modules,
    misnamed_manifests,
)
from trainer.extensions import db
from trainer.models import Module, ModuleAsset, ModuleVersion


@dataclass
class SyncOutcome:
    folder: Path
    status: str  # created | updated | restored | unchanged | invalid
    version: int | None = None
    errors: list[ContentError] = field(default_factory=list)

    def __str__(self) -> str:
        name = self.folder.name
        if self.status == "invalid":
            return f"{name}: NOT STORED, {len(self.errors)} error(s)"
        return f"{name}: {self.status}, version {self.version}"


def module_folders(root: Path) -> list[Path]:
    """The module folders under `root`: each with a module.yaml, or with a file that was
    surely meant to be one (module.yml, Module.yaml), which validation then names; such a
    folder was skipped without a word and the author read "ok" for the others."""
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and manifest_like(p))


def manifest_like(folder: Path) -> bool:
    return (folder / "module.yaml").is_file() or bool(misnamed_manifests(folder))


def sync_modules(folders: list[Path]) -> list[SyncOutcome]:
    """Each module is stored on its own: one that fails validation leaves the others alone."""
    wait_for_other_syncs()
    outcomes = []
    for result in load_modules(folders):
        if result.package is None:
            outcomes.append(SyncOutcome(result.folder, "invalid", errors=result.errors))
            continue
        with db.session.begin_nested():
            outcomes.append(store_package(result.folder, result.package))
    return outcomes


# Any number, the same in every process: the key of the lock that syncs take one at a time.
SYNC_LOCK = 7_302_201


def wait_for_other_syncs() -> None:
    """One sync at a time, until the caller commits. Two servers started together (the image
    syncs at every start) each found no version of a module and each stored one: the second
    ended in a traceback on the unique slug."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})
    else:  # SQLite: a write, though of no row, takes the database's one write lock first
        db.session.execute(text("DELETE FROM modules WHERE 0 = 1"))


def store_package(folder: Path, package: ModulePackage) -> SyncOutcome:
    slug = package.meta.slug
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    if module is None:
        module = Module(slug=slug)
        db.session.add(module)
        db.session.flush()
    latest = module.latest_version
    if latest is not None and latest.content_hash == package.content_hash:
        return SyncOutcome(folder, "unchanged", latest.number)
    same = db.session.scalar(
        select(ModuleVersion).where(
            ModuleVersion.module_id == module.id,
            ModuleVersion.content_hash == package.content_hash,
        )
    )
    if same is not None:  # the files went back to an earlier version's content
        module.latest_version = same
        return SyncOutcome(folder, "restored", same.number)
    _store_assets(package)
    version = ModuleVersion(
        module_id=module.id,
        number=(latest.number + 1) if latest else 1,
        content_hash=package.content_hash,
        schema_version=package.meta.schema_version,
        data=package.to_json(),
    )
    db.session.add(version)
    db.session.flush()
    module.latest_version = version
    db.session.flush()
    return SyncOutcome(folder, "updated" if latest else "created", version.number)


def _store_assets(package: ModulePackage) -> None:
    existing = set(
        db.session.scalars(
            select(ModuleAsset.sha256).where(ModuleAsset.sha256.in_(list(package.assets)))
        )
    )
    for sha, asset in package.assets.items():
        if sha not in existing:
            db.session.add(ModuleAsset(sha256=sha, mime=asset.mime, data=asset.data))
