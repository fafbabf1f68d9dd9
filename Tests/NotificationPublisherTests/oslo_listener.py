"""A real oslo.messaging notification listener for NotificationPublisherTests.

    oslo_listener.py URL EXCHANGE COUNT TIMEOUT TOPIC...

Listens on every TOPIC of EXCHANGE (executor threading), prints one JSON line per notification
its endpoint receives ({priority, event_type, publisher_id, payload}) and exits after COUNT of
them, or with status 2 after TIMEOUT seconds.
"""
import json
import sys
import threading

from oslo_config import cfg
import oslo_messaging


def main():
    url, exchange, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    topics = sys.argv[5:]
    received = []
    done = threading.Event()
    lock = threading.Lock()

    class Endpoint(object):
        def _record(self, priority, publisher_id, event_type, payload):
            with lock:
                received.append({"priority": priority, "event_type": event_type,
                                 "publisher_id": publisher_id, "payload": payload})
                print(json.dumps(received[-1], sort_keys=True), flush=True)
                if len(received) >= count:
                    done.set()

    for priority in ("audit", "debug", "info", "warn", "error", "critical", "sample"):
        def handler(self, ctxt, publisher_id, event_type, payload, metadata, _p=priority.upper()):
            self._record(_p, publisher_id, event_type, payload)
        setattr(Endpoint, priority, handler)

    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    targets = [oslo_messaging.Target(topic=topic, exchange=exchange) for topic in topics]
    listener = oslo_messaging.get_notification_listener(transport, targets, [Endpoint()], executor="threading")
    listener.start()
    finished = done.wait(timeout)
    listener.stop()
    listener.wait()
    sys.exit(0 if finished else 2)


if __name__ == "__main__":
    main()
