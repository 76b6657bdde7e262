"""Partial dates: the sources often give only a month or a year, and the portal must not show
more precision than they give."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def format_partial_date(value: datetime.date | None, precision: str, missing: str = "Not recorded") -> str:
    """'15 December 2015', 'December 2015' or '2015', as far as the precision allows."""
    if value is None:
        return missing
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def validate_partial_date(value: datetime.date | None, precision: str, field: str) -> None:
    """A date and its precision go together; a month is stored as its 1st, a year as 1 January."""
    precision_field = f"{field}_precision"
    if value is None and precision:
        raise ValidationError({field: "Enter the date, or clear its precision if the date is not known."})
    if value is not None and not precision:
        raise ValidationError({precision_field: "Say whether the source gives the day, the month or the year."})
    if precision == DatePrecision.MONTH and value.day != 1:
        raise ValidationError({field: "When only the month is known, enter the 1st of that month."})
    if precision == DatePrecision.YEAR and (value.month, value.day) != (1, 1):
        raise ValidationError({field: "When only the year is known, enter 1 January of that year."})


def partial_date_constraint(field: str, model_name: str) -> models.CheckConstraint:
    """Database rule: the date and its precision are both set or both empty."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True, f"{field}_precision": ""})
        | (models.Q(**{f"{field}__isnull": False}) & ~models.Q(**{f"{field}_precision": ""})),
        name=f"{model_name}_{field}_has_precision",
    )


def last_day_of(value: datetime.date, precision: str) -> datetime.date:
    """The latest day a partial date can mean: 31 December for a year, the month's last day for a month."""
    if precision == DatePrecision.YEAR:
        return value.replace(month=12, day=31)
    if precision == DatePrecision.MONTH:
        following = (value.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return following - datetime.timedelta(days=1)
    return value


def years_before(today: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` years earlier (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def is_older_than_years(value: datetime.date, precision: str, years: int, today: datetime.date) -> bool:
    """Whether even the latest day the partial date can mean is more than ``years`` years before today."""
    return last_day_of(value, precision) < years_before(today, years)


def older_than_years_condition(field: str, years: int, today: datetime.date) -> models.Q:
    """``is_older_than_years`` as a database condition on a partial date ``field`` (and its precision): a
    month is old once its last day is, i.e. when its 1st is before the month of the limit; a year likewise."""
    limit = years_before(today, years)
    precision = f"{field}_precision"
    return (
        models.Q(**{precision: DatePrecision.DAY, f"{field}__lt": limit})
        | models.Q(**{precision: DatePrecision.MONTH, f"{field}__lt": limit.replace(day=1)})
        | models.Q(**{precision: DatePrecision.YEAR, f"{field}__lt": limit.replace(month=1, day=1)})
    )
