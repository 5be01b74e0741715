"""``python -m bench``: the command line lives in bench/cli.py."""

from bench.cli import main

# Guarded: worker processes (spawn) re-import this module as __mp_main__.
if __name__ == "__main__":
    raise SystemExit(main())
