#!/usr/bin/env python3
"""A stand-in for the Docker Engine API, for recording fixtures on
machines without a container runtime.

Listens on a unix socket and answers `GET /containers/<id>/json` (the call
Falco's container plugin and `falconer probe` make for a new container)
for the containers given on the command line; anything else is a 404.

    fake-docker-api.py SOCKET ID=IMAGE[=NAME] ...

ID is the full 64-hex-digit id (requests may use any prefix of it, as
with the real API). With a real Docker daemon this script is not needed:
`falconer probe` asks the daemon itself (DOCKER_HOST or
/var/run/docker.sock).
"""

import http.server
import json
import os
import socketserver
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    containers = {}
    for spec in sys.argv[2:]:
        parts = spec.split("=")
        if len(parts) < 2:
            print(f"bad container spec {spec!r} (ID=IMAGE[=NAME])", file=sys.stderr)
            return 2
        cid, image = parts[0], parts[1]
        name = parts[2] if len(parts) > 2 else f"fixture-{cid[:6]}"
        containers[cid] = {
            "Id": cid,
            "Name": "/" + name,
            "Image": "sha256:" + (cid[::-1]),
            "Created": "2024-01-01T00:00:00.000000000Z",
            "Config": {"Image": image, "Labels": {"falconer.fixture": "true"}},
            "HostConfig": {"Privileged": False},
            "NetworkSettings": {"IPAddress": "172.17.0.2"},
            "Mounts": [],
        }

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            parts = self.path.split("?")[0].strip("/").split("/")
            # /containers/<id>/json, optionally behind an API version.
            if parts and parts[0].startswith("v1."):
                parts = parts[1:]
            found = None
            if len(parts) == 3 and parts[0] == "containers" and parts[2] == "json":
                for cid, c in containers.items():
                    if parts[1] and cid.startswith(parts[1]):
                        found = c
            body = json.dumps(found if found else {"message": "No such container"}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

        def address_string(self):
            return "unix"

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler) as srv:
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if os.path.exists(path):
                os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
