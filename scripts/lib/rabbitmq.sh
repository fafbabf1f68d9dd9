# shellcheck shell=bash
# Starts the Debian RabbitMQ server (3.10) on a machine without systemd. Sourced; idempotent.
#   dr_rabbitmq_up   start unless port 5672 already answers; wait for `rabbitmqctl await_startup`
# Default guest/guest account, vhost /, rabbit://guest:guest@127.0.0.1:5672/ (exported as
# DIRTYRING_RABBIT_URL). Tunables: DR_RABBITMQ_TIMEOUT (s, default 90), DR_SKIP_RABBITMQ=1.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

dr_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

dr_rabbitmq_up() {
    export DIRTYRING_RABBIT_URL="rabbit://guest:guest@127.0.0.1:5672/"  # oslo's transport_url form
    [[ "${DR_SKIP_RABBITMQ:-0}" == 1 ]] && { dr_log "rabbitmq: skipped (DR_SKIP_RABBITMQ=1)"; return 0; }
    dr_port_open 127.0.0.1 5672 && return 0
    command -v rabbitmq-server >/dev/null || dr_die "rabbitmq-server not installed"
    local t0; t0="$(dr_now)"
    if ! pgrep -u rabbitmq -f 'beam.*rabbit' >/dev/null 2>&1; then
        dr_log "starting rabbitmq-server"
        # The Debian wrapper switches to the rabbitmq user; -detached daemonizes.
        dr_root rabbitmq-server -detached || dr_die "rabbitmq-server -detached failed"
    fi
    # await_startup fails at once while the Erlang node is not registered yet: poll.
    local deadline=$(( $(date +%s) + ${DR_RABBITMQ_TIMEOUT:-90} ))
    until dr_port_open 127.0.0.1 5672 && rabbitmqctl -q await_startup >/dev/null 2>&1; do
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
