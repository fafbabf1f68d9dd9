# shellcheck shell=bash
# Starts the Debian RabbitMQ server (3.10) on a machine without systemd. Sourced; idempotent.
#   dr_rabbitmq_up   configure (loopback listeners: AMQP 5672, AMQP over TLS 5671 with a test CA),
#                    start unless both answer (restart when TLS is missing), wait for
#                    `rabbitmqctl await_startup`
# Default guest/guest account, vhost /. Exports DIRTYRING_RABBIT_URL
# (rabbit://guest:guest@127.0.0.1:5672/), DIRTYRING_RABBIT_TLS_URL (rabbit://...@localhost:5671/)
# and DIRTYRING_RABBIT_CA (the CA that signed the broker's certificate).
# Tunables: DR_RABBITMQ_TIMEOUT (s, default 90), DR_SKIP_RABBITMQ=1.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

dr_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

DR_RABBITMQ_TLS_DIR=/etc/rabbitmq/dirtyring-tls
DR_RABBITMQ_CONF=/etc/rabbitmq/rabbitmq.conf
DR_RABBITMQ_CONF_MARK="# written by nova-dirtyring scripts/lib/rabbitmq.sh"

# A test CA and a certificate for localhost / 127.0.0.1 signed by it (kept once made).
dr_rabbitmq_certificates() {
    local dir="$DR_RABBITMQ_TLS_DIR"
    [[ -s "$dir/ca.pem" && -s "$dir/server.pem" && -s "$dir/server.key" ]] && return 0
    dr_root mkdir -p "$dir"
    dr_root openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=nova-dirtyring test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || dr_die "openssl: cannot make the test CA"
    dr_root openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1 || dr_die "openssl: cannot make a CSR"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' | dr_root tee "$dir/san.ext" >/dev/null
    dr_root openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 3650 -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1 \
        || dr_die "openssl: cannot sign the broker certificate"
    dr_root chown -R rabbitmq:rabbitmq "$dir"
    dr_root chmod 640 "$dir/server.key" "$dir/ca.key"
}

# rabbitmq.conf: loopback listeners only, plain and TLS. Leaves a file it did not write alone.
dr_rabbitmq_config() {
    if [[ -e "$DR_RABBITMQ_CONF" ]] && ! grep -qF "$DR_RABBITMQ_CONF_MARK" "$DR_RABBITMQ_CONF"; then
        dr_warn "rabbitmq: $DR_RABBITMQ_CONF is not ours; left as it is (no TLS listener unless it has one)"
        return 0
    fi
    dr_rabbitmq_certificates
    dr_root tee "$DR_RABBITMQ_CONF" >/dev/null <<CONF
$DR_RABBITMQ_CONF_MARK: the test broker listens on loopback only.
listeners.tcp.1 = 127.0.0.1:5672
listeners.ssl.1 = 127.0.0.1:5671
distribution.listener.interface = 127.0.0.1
ssl_options.cacertfile = $DR_RABBITMQ_TLS_DIR/ca.pem
ssl_options.certfile = $DR_RABBITMQ_TLS_DIR/server.pem
ssl_options.keyfile = $DR_RABBITMQ_TLS_DIR/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
}

dr_rabbitmq_up() {
    export DIRTYRING_RABBIT_URL="rabbit://guest:guest@127.0.0.1:5672/"  # oslo's transport_url form
    export DIRTYRING_RABBIT_TLS_URL="rabbit://guest:guest@localhost:5671/"
    export DIRTYRING_RABBIT_CA="$DR_RABBITMQ_TLS_DIR/ca.pem"
    [[ "${DR_SKIP_RABBITMQ:-0}" == 1 ]] && { dr_log "rabbitmq: skipped (DR_SKIP_RABBITMQ=1)"; return 0; }
    command -v rabbitmq-server >/dev/null || dr_die "rabbitmq-server not installed"
    dr_rabbitmq_config
    dr_port_open 127.0.0.1 5672 && dr_port_open 127.0.0.1 5671 && return 0
    local t0; t0="$(dr_now)"
    if dr_port_open 127.0.0.1 5672; then
        dr_log "rabbitmq: restarting for its TLS listener"
        rabbitmqctl -q stop >/dev/null 2>&1 || true
        local gone=$(( $(date +%s) + 60 ))
        while pgrep -u rabbitmq -f 'beam.*rabbit' >/dev/null 2>&1; do
            (( $(date +%s) < gone )) || dr_die "rabbitmq did not stop within 60 s"
            sleep 0.5
        done
    fi
    if ! pgrep -u rabbitmq -f 'beam.*rabbit' >/dev/null 2>&1; then
        dr_log "starting rabbitmq-server"
        # The Debian wrapper switches to the rabbitmq user; -detached daemonizes.
        dr_root rabbitmq-server -detached || dr_die "rabbitmq-server -detached failed"
    fi
    # await_startup fails at once while the Erlang node is not registered yet: poll.
    local deadline=$(( $(date +%s) + ${DR_RABBITMQ_TIMEOUT:-90} ))
    until dr_port_open 127.0.0.1 5672 && rabbitmqctl -q await_startup >/dev/null 2>&1 \
            && { [[ ! -s "$DIRTYRING_RABBIT_CA" ]] || dr_port_open 127.0.0.1 5671; }; do
        if (( $(date +%s) >= deadline )); then
            {
                echo "--- /var/log/rabbitmq (tails) ---"
                tail -n 20 /var/log/rabbitmq/*.log /var/log/rabbitmq/startup_err 2>/dev/null || true
            } >&2
            dr_die "rabbitmq did not come up within ${DR_RABBITMQ_TIMEOUT:-90}s"
        fi
        sleep 0.5
    done
    dr_log "rabbitmq ready ($(dr_elapsed "$t0") s)"
}
