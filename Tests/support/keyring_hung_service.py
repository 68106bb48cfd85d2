#!/usr/bin/python3
"""A Secret Service that hangs or fails: owns org.freedesktop.secrets on the session bus.

    keyring_hung_service.py [all | lookup | store]

  all     (default) never answers a call. No main loop runs, so calls queue up unanswered and the caller waits for
          its D-Bus timeout (25 s in libsecret).
  lookup  answers what tells a client that the keyring can serve (the service's and the default collection's
          properties, ReadAlias: an unlocked default collection), and never answers SearchItems, so every lookup
          hangs after the keyring said it is available.
  store   like lookup, but SearchItems finds nothing, and OpenSession and CreateItem fail: every lookup is a miss,
          every store fails.

Needs python3-dbus (and, for lookup and store, python3-gi for the GLib main loop), under the Debian
/usr/bin/python3. Exits when killed, or after an hour.
"""
import sys
import time

import dbus

NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
COLLECTION_PATH = "/org/freedesktop/secrets/collection/login"
SERVICE = "org.freedesktop.Secret.Service"
COLLECTION = "org.freedesktop.Secret.Collection"
PROPERTIES = "org.freedesktop.DBus.Properties"


def own_name(bus) -> None:
    reply = bus.request_name(NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    if reply != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
        sys.exit(f"keyring_hung_service: could not own {NAME} (reply {reply})")


def hang_all() -> None:
    own_name(dbus.SessionBus())
    time.sleep(3600)


def serve(mode: str) -> None:
    import dbus.mainloop.glib
    import dbus.service
    from gi.repository import GLib

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()

    class Refused(dbus.DBusException):
        _dbus_error_name = "org.freedesktop.DBus.Error.Failed"

    class Properties(dbus.service.Object):
        interface = ""
        values: dict = {}

        @dbus.service.method(PROPERTIES, in_signature="s", out_signature="a{sv}")
        def GetAll(self, interface):
            return self.values if interface == self.interface else {}

        @dbus.service.method(PROPERTIES, in_signature="ss", out_signature="v")
        def Get(self, interface, name):
            if interface != self.interface or name not in self.values:
                raise Refused(f"no property {name}")
            return self.values[name]

    class Service(Properties):
        interface = SERVICE
        values = {"Collections": dbus.Array([dbus.ObjectPath(COLLECTION_PATH)], signature="o")}

        @dbus.service.method(SERVICE, in_signature="s", out_signature="o")
        def ReadAlias(self, name):
            return dbus.ObjectPath(COLLECTION_PATH if name == "default" else "/")

        @dbus.service.method(SERVICE, in_signature="a{ss}", out_signature="aoao", async_callbacks=("reply", "error"))
        def SearchItems(self, attributes, reply, error):
            if mode == "store":
                reply(dbus.Array([], signature="o"), dbus.Array([], signature="o"))
            # mode "lookup": never answered.

        @dbus.service.method(SERVICE, in_signature="sv", out_signature="vo")
        def OpenSession(self, algorithm, argument):
            raise Refused("this test service refuses to open sessions")

    class Collection(Properties):
        interface = COLLECTION
        values = {"Items": dbus.Array([], signature="o"), "Label": "Login", "Locked": False,
                  "Created": dbus.UInt64(0), "Modified": dbus.UInt64(0)}

        @dbus.service.method(COLLECTION, in_signature="a{sv}(oayays)b", out_signature="oo")
        def CreateItem(self, properties, secret, replace):
            raise Refused("this test service refuses to store items")

    Service(bus, SERVICE_PATH)
    Collection(bus, COLLECTION_PATH)
    own_name(bus)
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(3600, loop.quit)
    loop.run()


mode = sys.argv[1] if len(sys.argv) > 1 else "all"
if mode == "all":
    hang_all()
elif mode in ("lookup", "store"):
    serve(mode)
else:
    sys.exit(f"keyring_hung_service: unknown mode '{mode}'")
