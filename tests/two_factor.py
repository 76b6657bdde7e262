"""Signing staff in as the product does with DEBUG off: a password and a code from an authenticator app."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from officers.services import start_two_factor_enrolment


def authenticator(user) -> TOTPDevice:
    """The user's authenticator app (a confirmed TOTP device), set up if they have none."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    return device or start_two_factor_enrolment(user=user, confirmed=True)


def code_now(device: TOTPDevice) -> str:
    """The 6-digit code the app shows now (django_otp.oath.totp, as the app computes it)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def signed_in_client(user, *, enforce_csrf_checks: bool = False) -> Client:
    """A client signed in with both factors (the session django-otp marks as verified)."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()
    return client
