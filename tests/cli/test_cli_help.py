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
