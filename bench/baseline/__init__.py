"""The baseline target: the Channels tutorial's chat, with nothing else.

One consumer joins a group per room and relays every message to it. There is
no database, no authentication and no storage, so it is the floor that the
real chat's figures are divided by.
"""
