from __future__ import annotations

from pathlib import Path

from config.schema import settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_settings_table_matches_the_schema():
    text = README.read_text()
    table = text.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert table == settings_table(), "regenerate the table with config.schema.settings_table()"


def test_readme_quick_start_is_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
