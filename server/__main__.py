"""``python -m ptlint.server``: the language server (same flags as ``ptlint server``)."""
import argparse
import sys

from ptlint.server.cmd_server import configure, run


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ptlint.server", description="the ptlint language server")
    configure(parser)
    return run(parser.parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(_main())
