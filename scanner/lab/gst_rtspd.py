"""GStreamer's RTSP server (gst-rtsp-server through its GObject bindings) for the real lab.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0): this file imports
nothing from camsweep, so it works outside the project's interpreter.

    /usr/bin/python3 gst_rtspd.py ADDRESS PORT PATH {basic|digest} USER PASSWORD [LIFETIME]

One small raw-video test-pattern stream (videotestsrc, rtpvrawpay: no encoder needed) at
PATH, readable only with USER/PASSWORD by the given scheme; every other path is 404 after the login.
"""

import sys


def main(argv: list[str]) -> int:
    import gi  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415 - Debian's python only

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
        GLib,
        Gst,
        GstRtsp,
        GstRtspServer,
    )

    address, port, path, scheme, user, password = argv[:6]
    lifetime = float(argv[6]) if len(argv) > 6 else 3600.0
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(address)
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( videotestsrc is-live=true ! video/x-raw,format=RGB,width=64,height=48,framerate=5/1 "
        "! rtpvrawpay name=pay0 pt=96 )"
    )
    factory.set_shared(True)
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "user")
    if scheme == "digest":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("user", "media.factory.access", True)
    permissions.add_permission_for_role("user", "media.factory.construct", True)
    factory.set_permissions(permissions)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {address}:{port}", file=sys.stderr)
        return 1
    print(f"listening {address}:{port}", flush=True)
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(int(lifetime), loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
