"""Load benchmark of the chat, measured beside a Channels-tutorial baseline.

Run ``python -m bench`` (or ``make bench``); bench/README.md explains it.
"""
