import pytest

from cli.main import build_parser, main
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


@pytest.mark.parametrize("given, name", [("eyes", "eye"), ("Monkeys", "monkey"), ("House-Plants", "house plant"),
                                         ("Palm-Trees", "palm tree"), ("strawberries", "strawberry"),
                                         ("benches", "bench"), ("buses", "bus"), ("scissors", "scissors"),
                                         ("shorts", "shorts"), ("bus", "bus"), ("flip flops", "flip flops")])
def test_regular_plurals_find_their_category_and_exact_names_stay_themselves(given, name):
    """`qd categories --help` promises plural names (issue 24: eyes, Monkeys, House-Plants were refused)."""
    assert categories.resolve(given) == name
    assert "plural" in " ".join(build_parser()._subparsers._group_actions[0].choices["categories"]
                                .format_help().split())


def test_a_long_unknown_name_is_not_echoed_whole(capsys):
    assert main(["download", "x" * 5000, "--out", "unused"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qd: unknown category 'xxx") and "(5000 characters)" in err and len(err) < 300
