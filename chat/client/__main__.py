"""``python -m chat.client``: the command line (chat/client/cli.py)."""

import sys

from chat.client.cli import main

sys.exit(main())
