"""``qd --help`` and every command's: a description, help on each argument, and its default where it has one."""
import argparse

import pytest

from cli.main import build_parser


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


@pytest.mark.parametrize("name", sorted(_commands()))
def test_each_command_explains_itself_and_its_defaults(name):
    command = _commands()[name]
    assert command.description and len(command.description) > 60, f"qd {name} has no description"
    for action in command._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        what = action.option_strings or action.dest
        assert action.help, f"qd {name} {what} has no help"
        if action.option_strings and action.default not in (None, False):
            assert "default" in action.help, f"qd {name} {what}: its default {action.default!r} is not said"
    text = command.format_help()
    assert text.startswith(f"usage: qd {name}")


def test_the_two_sampling_temperatures_say_why_they_differ():
    commands = _commands()
    generate, complete = (next(a for a in commands[c]._actions if "--temperature" in a.option_strings)
                          for c in ("generate", "complete"))
    assert generate.default == 0.5 and complete.default == 0.4
    assert "generate's 0.5" in complete.help and "complete` defaults to 0.4" in commands["generate"].description


def _help_keys(text: str) -> list[str]:
    """The keys a window's help line names ("r resample   up/down temperature" -> ["r", "up/down"])."""
    return [part.split()[0] for part in text.split("   ") if part.strip()]


def test_window_commands_name_every_key_their_windows_take():
    """Issue 24: `qd complete --help` listed no enter/left/right, `qd play --help` no s."""
    from sketchrnn.canvas import HELP as COMPLETION_KEYS

    commands = _commands()
    pad_keys = ["u undo", "c clear", "s save", "q quit"]
    complete = " ".join(commands["complete"].description.split())
    for key in _help_keys(COMPLETION_KEYS):
        assert f"{key} " in complete, (key, complete)
    play = " ".join(commands["play"].description.split())
    for key in ["n next round", *pad_keys]:
        assert key in play, (key, play)
    assert all(key in complete for key in pad_keys)


def test_evaluate_help_speaks_of_both_models():
    evaluate = _commands()["evaluate"]
    model = next(a for a in evaluate._actions if a.dest == "rundir")
    for text in (evaluate.description, model.help):
        assert "CNN" in text and "Sketch-RNN" in text and ".gen.json" in text


def test_show_out_png_has_the_title_its_help_promises(mirror, tmp_path, capsys):
    """`qd show --help` promises a title (source, split, category, synthetic or real): --out PNGs had none."""
    import matplotlib.image

    from cli.main import main

    assert "title" in _commands()["show"].description
    out = tmp_path / "grid.png"
    assert main(["show", str(mirror / "full/simplified/cat.ndjson"), "--n", "4", "--out", str(out)]) == 0
    picture = matplotlib.image.imread(out)
    top = picture[: int(0.06 * len(picture)), :, :3]
    assert (top < 0.5).any(), "no title over the grid"

