"""``python manage.py create_officer USERNAME --email E --borough SLUG_OR_GSS [--borough ...] [--two-factor]``"""

import getpass
import io
import sys

import qrcode
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from officers.services import create_officer, find_authorities, start_two_factor_enrolment
from officers.two_factor import spaced_key


class Command(BaseCommand):
    help = (
        "Create a borough officer: a staff account in the 'Borough officers' group, attached to one or more "
        "authorities (by slug, e.g. hackney, or GSS code, e.g. E09000012). Asks for a password unless "
        "--no-password is given. With --two-factor it also sets up their authenticator app and prints its key."
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
        parser.add_argument(
            "--two-factor",
            action="store_true",
            help="Also set up two-factor sign-in now: prints a QR code and key for the officer's authenticator app.",
        )

    def handle(
        self, *args, username: str, email: str, boroughs: list[str], no_password: bool, two_factor: bool, **options
    ) -> None:
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
        if two_factor:
            self._print_enrolment(user)

    def _print_enrolment(self, user) -> None:
        """The authenticator app's set-up, for the officer to scan or type in; it is their second factor
        from now on, so the set-up page is never offered to someone who has only their password."""
        device = start_two_factor_enrolment(user=user, confirmed=True)
        qr = qrcode.QRCode(border=1)
        qr.add_data(device.config_url)
        picture = io.StringIO()
        qr.print_ascii(out=picture, invert=True)
        self.stdout.write(
            "\nTwo-factor sign-in is set up. Give the officer this QR code or key in person or on a video call, "
            "never in the same message as their password. They scan it with an authenticator app (or type the "
            "key, time-based) and sign in with the 6-digit code the app shows.\n"
        )
        self.stdout.write(picture.getvalue())
        self.stdout.write(f"Key: {spaced_key(device)}\n")

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password on: use --no-password and set one in the admin.")
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("The two passwords differ.")
        return first
