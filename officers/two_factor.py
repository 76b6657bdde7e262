"""Two-factor sign-in for staff (django-otp, time-based codes from an authenticator app).

After the password (the admin's ordinary sign-in page), a staff member is signed in but not yet
*verified*, and the admin site (``officers.sites.PortalAdminSite.has_permission``) shows them no page
until they enter the 6-digit code from their app here, or set the app up first if they have none.
A wrong code counts as a failed sign-in for django-axes, so guessing codes locks the account out
(for that address) exactly as guessing passwords does; a full sign-in clears the count.
"""

import base64
import io

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_lockout_response
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from officers.services import start_two_factor_enrolment

WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now; codes change every 30 seconds."
)

SET_UP_MESSAGE = "Your authenticator app is set up. You will need a code from it each time you sign in."


def required() -> bool:
    return settings.OTP_REQUIRED


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    return required() and user.is_authenticated and user.is_active and user.is_staff and not _verified(user)


def _verified(user) -> bool:
    # OTPMiddleware gives request.user is_verified(); a user the password form has only just signed in
    # (django.contrib.auth.login replaced request.user) has none, and is not verified.
    return hasattr(user, "is_verified") and user.is_verified()


def signed_in(request: HttpRequest) -> None:
    """The sign-in is complete (password, and the second factor where required): earlier failures are forgiven."""
    AxesProxyHandler.reset_attempts(ip_address=get_client_ip_address(request), username=request.user.get_username())


class SecurityCodeForm(forms.Form):
    token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for the London Health Devolution Portal.",
        max_length=12,
    )  # rendered by the templates (admin/two_factor/), with autocomplete="one-time-code"

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if len(token) != 6 or not token.isdigit():
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows, for example 123456.")
        return token


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{request.GET.urlencode()}" if request.GET else reverse(name)


def _wrong_code(request: HttpRequest, form: SecurityCodeForm) -> HttpResponse | None:
    """Records a wrong code as a failed sign-in; the lock-out page once there were too many."""
    form.add_error("token", WRONG_CODE)
    user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()}, request=request)
    return _locked_out(request)


def _locked_out(request: HttpRequest) -> HttpResponse | None:
    credentials = {"username": request.user.get_username()}
    if not AxesProxyHandler.is_locked(request, credentials):
        return None
    logout(request)  # the half-finished sign-in ends with the lock-out
    return get_lockout_response(request, credentials=credentials)


def second_factor_view(request: HttpRequest) -> HttpResponse:
    """Step two of signing in: the code from the authenticator app."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not needs_second_factor(request):
        return HttpResponseRedirect(_next_url(request))
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if device is None:
        return HttpResponseRedirect(_with_next("admin:two_factor_enrol", request))
    if locked := _locked_out(request):
        return locked
    form = SecurityCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            signed_in(request)
            return HttpResponseRedirect(_next_url(request))
        if locked := _wrong_code(request, form):
            return locked
    context = {"form": form, "next": _next_url(request), "title": "Enter your security code"}
    return render(request, "admin/two_factor/verify.html", context)


def enrol_view(request: HttpRequest) -> HttpResponse:
    """Setting up an authenticator app: a QR code and the same key as text; the first code confirms it."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not needs_second_factor(request):
        return HttpResponseRedirect(_next_url(request))
    if TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists():
        return HttpResponseRedirect(_with_next("admin:two_factor", request))
    if locked := _locked_out(request):
        return locked
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=False).first()
    if device is None:
        device = start_two_factor_enrolment(user=request.user)
    form = SecurityCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            signed_in(request)
            messages.success(request, SET_UP_MESSAGE)
            return HttpResponseRedirect(_next_url(request))
        if locked := _wrong_code(request, form):
            return locked
    context = {
        "form": form,
        "next": _next_url(request),
        "title": "Set up your authenticator app",
        "qr_code": qr_code_data_uri(device.config_url),
        "key": spaced_key(device),
    }
    return render(request, "admin/two_factor/enrol.html", context)


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data: address for an <img> (made here: no request to anyone else)."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def spaced_key(device: TOTPDevice) -> str:
    """The secret key as an app asks for it when typed in: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[index : index + 4] for index in range(0, len(key), 4))
