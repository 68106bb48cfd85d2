#!/usr/bin/python3
"""A Secret Service that hangs: owns org.freedesktop.secrets on the session bus and never answers a call.

No main loop runs, so calls queue up unanswered and the caller waits for its D-Bus timeout (25 s in libsecret).
Needs python3-dbus, under the Debian /usr/bin/python3. Exits when killed, or after an hour.
"""
import sys
import time

import dbus

bus = dbus.SessionBus()
reply = bus.request_name("org.freedesktop.secrets", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
if reply != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
    sys.exit(f"keyring_hung_service: could not own org.freedesktop.secrets (reply {reply})")
time.sleep(3600)
