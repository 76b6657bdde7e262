"""Editors get the permissions of the models added since 0002 (glossary terms and their history);
borough officers get none of them (the glossary is kept by editors)."""

from importlib import import_module

from django.db import migrations

grant_role_permissions = import_module("officers.migrations.0002_groups").grant_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("officers", "0003_editors_reset_two_factor"),
        ("sources", "0003_living_record"),
        ("pilots", "0003_living_record"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
