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

"""The WSGI application named by ``E2E_WSGI_MODULE``, for gunicorn.

OpenStack's WSGI modules parse ``sys.argv`` with oslo.config when they are
imported; under gunicorn that is gunicorn's own command line, which they
refuse.  This presents them an empty one.  Usage:

    E2E_WSGI_MODULE=keystone.wsgi.api gunicorn e2e.wsgi_app:application
"""

import importlib
import os
import sys

sys.argv = [os.environ['E2E_WSGI_MODULE']]
application = importlib.import_module(
    os.environ['E2E_WSGI_MODULE']).application
