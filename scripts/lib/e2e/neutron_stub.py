# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""A network API with no networks, for servers booted with ``--network none``.

Real Neutron needs ML2 and its agents, which this machine does not run.
Nova still asks the network API about ports, networks, security groups,
extensions and quotas while it shows, boots and live-migrates a server
without ports; this answers every such read with an empty collection and
logs every request, so that a test can see what Nova asked.  Anything
else (a write) answers 501 and is logged as such: the end-to-end run fails
on it instead of going on with a network that was never built.

    python -m e2e.neutron_stub PORT
"""

import http.server
import json
import sys
import urllib.parse

VERSION = 'v2.0'


class NetworkAPI(http.server.BaseHTTPRequestHandler):
    """Empty answers to Neutron's read calls, 501 to everything else."""

    protocol_version = 'HTTP/1.1'

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path.rstrip('/')
        if path in ('', '/'):
            base = 'http://%s/%s/' % (self.headers.get('Host'), VERSION)
            self._send(200, {'versions': [{
                'id': VERSION, 'status': 'CURRENT',
                'links': [{'href': base, 'rel': 'self'}]}]})
            return
        parts = [p for p in path.split('/') if p]
        if parts[0] != VERSION or len(parts) < 2:
            self._send(404, {'NeutronError': {'message': 'not found'}})
            return
        collection = parts[1].replace('.json', '')
        if collection == 'quotas' and len(parts) > 2:
            self._send(200, {'quota': {'port': -1, 'network': -1}})
        elif len(parts) == 2:
            self._send(200, {collection.replace('-', '_'): []})
        else:
            self._send(404, {'NeutronError': {
                'type': 'NotFound', 'message': '%s not found' % path}})

    def _unsupported(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        self._send(501, {'NeutronError': {
            'type': 'NotImplemented',
            'message': 'the e2e network stub serves reads only'}})

    do_POST = do_PUT = do_DELETE = do_PATCH = _unsupported

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.log_date_time_string(),
                                      fmt % args))
        sys.stderr.flush()


def main():
    port = int(sys.argv[1])
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), NetworkAPI)
    server.serve_forever()


if __name__ == '__main__':
    main()
