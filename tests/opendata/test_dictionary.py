"""The data dictionary on /opendata in English: no Dutch left (issue 14)."""

from __future__ import annotations

import html
import re

from django.test import Client
from django.utils import translation
from django.utils.text import capfirst

from registry.columns import INITIATIVE_COLUMNS, PARTNERSHIP_COLUMNS, described
from registry.models import Initiative

# The columns whose meaning joins a field's name and its help text: made when registry.columns is
# imported, in the default language (Dutch), they stayed Dutch on the English page.
JOINED = {
    "slug": "Slug: Part of the page address. Made from the name when left empty; an old slug keeps "
            "redirecting after a change.",
    "kvk_number": "KvK number: Chamber of Commerce number: 8 digits.",
    "postcode": "Postcode: Like 1234 AB; the four digits alone when the letters are unknown.",
    "start": "Start: A year (2021) or a date (2021-03-15).",
    "end": "End: A year or a date; empty while it lasts.",
}


def meanings(page: str) -> dict[str, str]:
    """Column name: its meaning, from the dictionary's rows."""
    rows = re.findall(r'<th scope="row"><code>([a-z_]+)</code></th><td>.*?</td><td>(.*?)</td>', page, re.DOTALL)
    return {name: html.unescape(re.sub(r"<[^>]+>", "", meaning)).strip() for name, meaning in rows}


def test_a_joined_description_is_translated_when_shown_not_when_made():
    with translation.override("nl"):
        slug = described(Initiative, "slug")
        dutch = str(slug)
    with translation.override("en"):
        english = str(slug)

    assert dutch == ("slug: Deel van het paginaadres. Wordt uit de naam gemaakt als het leeg blijft; na een "
                     "wijziging blijft een oude slug doorverwijzen.")
    assert english == "s" + JOINED["slug"][1:]


def test_the_english_data_dictionary_has_no_dutch_term_left(client: Client, db):
    with translation.override("nl"):
        dutch_terms = {column.name: capfirst(str(column.description))
                       for column in INITIATIVE_COLUMNS + PARTNERSHIP_COLUMNS if column.name in JOINED}
    dutch_page = meanings(client.get("/opendata", HTTP_ACCEPT_LANGUAGE="nl").content.decode())
    english_page = meanings(client.get("/opendata", HTTP_ACCEPT_LANGUAGE="en").content.decode())

    assert {name: english_page[name] for name in JOINED} == JOINED
    assert {name: dutch_page[name] for name in JOINED} == dutch_terms
    english_text = " ".join(english_page.values())
    for name, term in dutch_terms.items():
        assert term not in english_text, name

