"""WSGI entry point; deployments set DJANGO_SETTINGS_MODULE (``make serve`` uses production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devolution_portal.settings.production")

application = get_wsgi_application()
