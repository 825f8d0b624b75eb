"""Shared parts of the access commands: who is running them."""

import getpass
from argparse import ArgumentParser

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from auditing.selectors import (
    NotAnEngineer,
    engineer_get,
    engineer_username_for_os_user,
)


class EngineerCommand(BaseCommand):
    """A command run by an on-call engineer (``--engineer`` or mapped from the OS user)."""

    def add_engineer_argument(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--engineer",
            help="Django username of the on-call engineer "
            "(default: mapped from the OS user via AUDIT_ENGINEER_USERNAMES)",
        )

    def os_user(self) -> str:
        return getpass.getuser()

    def engineer(self, username: str | None) -> User:
        name = username or engineer_username_for_os_user(self.os_user())
        try:
            return engineer_get(username=name)
        except NotAnEngineer as exc:
            raise CommandError(str(exc)) from exc
