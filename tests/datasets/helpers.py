"""Reading the exports back the way a researcher would."""

import csv
import io


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def read_csv(response) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV response, read with Python's csv module."""
    reader = csv.reader(io.StringIO(csv_text(response), newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def read_json_pages(client, url: str) -> list[dict]:
    """Every row of a JSON export, following the ``next`` links."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        rows += page["results"]
        url = page["next"]
    return rows
