import pytest

from cli.main import main
from quickdraw import categories
from quickdraw.errors import QuickDrawError


def test_345_official_names_with_exact_spelling():
    names = categories.names()
    assert len(names) == 345 and len(set(names)) == 345
    assert "The Eiffel Tower" in names and "flip flops" in names


@pytest.mark.parametrize("given", ["the eiffel tower", "THE_EIFFEL_TOWER", "the-eiffel-tower"])
def test_lookup_is_forgiving(given):
    assert categories.resolve(given) == "The Eiffel Tower"


def test_unknown_name_suggests_close_matches():
    with pytest.raises(QuickDrawError, match=r"unknown category 'catt' \(did you mean: cat"):
        categories.resolve("catt")


def test_cli_categories_search(capsys):
    assert main(["categories", "--search", "tower"]) == 0
    assert capsys.readouterr().out.split("\n")[0] == "The Eiffel Tower"
