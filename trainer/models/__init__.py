"""Database models, one module per aggregate."""

from trainer.models.users import InviteCode, Profession, Role, User

__all__ = ["InviteCode", "Profession", "Role", "User"]
