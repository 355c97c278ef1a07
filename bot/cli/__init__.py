"""`newsbot`, the command line: `main` parses the arguments and runs one command."""

from bot.cli.main import main

__all__ = ["main"]
