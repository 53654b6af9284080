"""The ``specae`` command: one sub-command per module in :mod:`specae.commands`.

A :class:`SpecaeError` (a user mistake) prints one line and exits 2; notes (resampling,
mix-down, clipping) go to stderr through the ``specae`` logger.
"""

from __future__ import annotations

import argparse
import logging
import sys

from specae.commands import COMMANDS
from specae.errors import SpecaeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specae",
        description="Encode speech spectrograms into short codes with deep autoencoders, "
        "rebuild audio, and measure the distortion.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="hide notes on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="specae: note: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args) or 0)
    except SpecaeError as exc:
        print(f"specae: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("specae: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
