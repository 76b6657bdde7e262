"""``python manage.py create_officer USERNAME --email E --borough SLUG_OR_GSS [--borough ...]``"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from officers.services import create_officer, find_authorities


class Command(BaseCommand):
    help = (
        "Create a borough officer: a staff account in the 'Borough officers' group, attached to one or more "
        "authorities (by slug, e.g. hackney, or GSS code, e.g. E09000012). Asks for a password unless "
        "--no-password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--borough", action="append", required=True, dest="boroughs", help="Slug or GSS code; repeat for more."
        )
        parser.add_argument(
            "--no-password",
            action="store_true",
            help="Create the account without a password; an editor sets one later in the admin.",
        )

    def handle(self, *args, username: str, email: str, boroughs: list[str], no_password: bool, **options) -> None:
        try:
            authorities = find_authorities(references=boroughs)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        password = None if no_password else self._ask_password()
        try:
            user = create_officer(username=username, email=email, authorities=authorities, password=password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        names = ", ".join(authority.name for authority in authorities)
        self.stdout.write(self.style.SUCCESS(f"Created borough officer {user.get_username()} for {names}."))
        if password is None:
            self.stdout.write("They cannot sign in until an editor sets a password for them under Users.")

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password on: use --no-password and set one in the admin.")
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("The two passwords differ.")
        return first
