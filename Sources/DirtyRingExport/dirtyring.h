/*
 * dirtyring.h - the C ABI of libdirtyring.so.
 *
 * This hand-written header is the contract. The test suite compiles it together with the header
 * the Swift compiler generates for the export target, so any difference in a signature fails the
 * build, and compares the functions declared here with the symbols the library exports.
 *
 * Conventions
 * - Strings in are NUL-terminated UTF-8 JSON (or XML inside JSON). A NULL pointer is an error,
 *   never a crash.
 * - Every `char *` returned is a JSON document allocated by the library. The caller releases it
 *   with dr_string_free(). Returned documents have exactly one of two shapes:
 *       {"ok": <result>}
 *       {"error": {"kind": "<kind>", "message": "<one line for an operator>",
 *                  "option": "<[group] name, only for invalid_config>",
 *                  "value": "<offending value, only for invalid_config>"}}
 *   kinds: invalid_config, invalid_request, malformed_json, malformed_xml, unsupported,
 *          libvirt, kvm, timeout, internal; for measurements also no_domain, busy (a calc is
 *          already running), migrating, stall (vCPUs stopped progressing; the error then also
 *          has "stalled_vcpus": [int]).
 * - Functions are thread-safe. None blocks longer than its documented timeout.
 *
 * JSON shapes (field names are stable within one ABI version)
 *   config   {"ring_mode": "auto"|"on"|"off", "ring_size": 4096}
 *   host     {"kvm": {"device": "/dev/kvm", "available": bool, "module": "kvm_intel"|null,
 *                     "dirty_ring_max_bytes": int, "dirty_ring_max_entries": int,
 *                     "dirty_ring_acq_rel": bool, "error": str|null},
 *             "kernel_release": str, "cpu_model": str,
 *             "libvirt_version": "9.0.0"|null, "qemu_version": "7.2.0"|null,
 *             "dirty_ring": {"usable": bool, "max_size": int, "reasons": [str],
 *                            "ring_size": int, "offered": bool (usable and qualified for
 *                            ring_size), "qualification": qualification (for ring_size),
 *                            "qualified_sizes": [int], "qualifications": [qualification]}}
 *             (qualifications are read from the context's state_dir and held against the
 *             host's current facts: a verdict proven on other versions is "unknown", "stale")
 *   qualification {"state": "passed"|"failed"|"unknown",
 *             "key": {"kernel_release", "kvm_module", "cpu_model", "libvirt_version",
 *                     "qemu_version": str, "ring_size": int}|null,
 *             "checked_at": "2026-11-28T04:24:19Z"|null, "seconds": number|null,
 *             "checks": [{"name": "counting"|"migration_integrity"|"liveness",
 *                         "state": "passed"|"failed"|"unknown", "summary": str,
 *                         "evidence": [str]}],
 *             "evidence": str|null, "stale": [str]}
 *   measurement {"domain": str (name), "uuid": str, "mode": "page-sampling"|"dirty-bitmap"|
 *             "dirty-ring", "period_seconds": int, "megabytes_per_second": number,
 *             "vcpu_megabytes_per_second": [number] (ring mode only, else []),
 *             "memory_mib": int, "vcpus": int, "ring_size": int (0: no ring),
 *             "measured_at": "2026-11-28T04:24:19Z"}
 *   forecast {"converges": bool, "rounds": int, "total_seconds": number, "bytes_sent": int,
 *             "downtime_ms": number, "floor_seconds": number (memory / bandwidth),
 *             "limit_megabytes_per_second": number|null (the largest dirty-rate limit with
 *             which it converges within the deadline, a multiple of 0.001; null when no limit
 *             is needed or none helps)}
 *             rounds: pre-copy rounds, the stop-and-copy not counted. When it does not converge,
 *             rounds, total_seconds and bytes_sent are those until the deadline passed (or 10000
 *             rounds), and downtime_ms is what forcing the switch-over then would cost.
 *             Times are rounded to the microsecond.
 */
#ifndef DIRTYRING_H
#define DIRTYRING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. */
#define DR_ABI_VERSION 2u

/** An open context: a libvirt connection and the host it runs on. Opaque. */
typedef void dr_context;

/** Returns the ABI version of the loaded library; callers refuse one that differs. */
uint32_t dr_abi_version(void);

/**
 * Opens a context.
 * config_json: {"libvirt_uri": "qemu:///system", "kvm_device": "/dev/kvm",
 *               "timeout_seconds": 10, "state_dir": "/var/lib/nova-dirtyring"};
 *               every field optional.
 * libvirt_connection: a virConnectPtr to share (the library takes its own reference), or NULL to
 *               open libvirt_uri.
 * Returns NULL on failure and, when error_json is not NULL, stores an error document there.
 */
dr_context *dr_context_open(const char *config_json, void *libvirt_connection,
                            char **error_json);

/** Releases a context and its libvirt reference. NULL is ignored. */
void dr_context_close(dr_context *context);

/** Probes the host: {"ok": host}, judged for the default ring size (4096). Bounded by the
 * context's timeout_seconds. */
char *dr_host_probe(dr_context *context);

/**
 * Qualifies the host's dirty ring of ring_size entries and records the verdict in the context's
 * state_dir: {"ok": qualification}. Boots canary guests through libvirt and runs live
 * migrations between two QEMU processes it starts; takes a few minutes, each step bounded
 * (at most about 10 minutes in all). Errors (nothing recorded) when the canary kernel is not
 * readable or the host cannot run that ring.
 * request: {"kernel_path": str (default /var/lib/libvirt/boot/dirtyring-canary.elf),
 *           "ring_size": int (default 4096)}
 */
char *dr_ring_qualify(dr_context *context, const char *request_json);

/**
 * Validates the [dirtyring] configuration, against the host when one is given.
 * request: {"config": config, "host": host|null}
 * result:  {"config": config, "offers_ring": bool, "max_size": int,
 *           "qualification": qualification (of ring_size; absent without a host),
 *           "needs_qualification": bool}
 *          offers_ring: guests booted here get the ring unless they opt out (the host reports
 *          the CUSTOM_KVM_DIRTY_RING trait): usable, ring_size within the kernel's maximum, and
 *          qualified for ring_size. needs_qualification: the ring could be offered but has no
 *          current verdict (never qualified, stale, inconclusive): run dr_ring_qualify.
 *          ring_mode "on" is an invalid_config error on a host that failed (or could not
 *          conclude) the qualification; with no verdict yet it is valid: qualify, then check.
 */
char *dr_config_check(const char *request_json);

/**
 * Decides whether a guest boots with the dirty ring, and its size: flavor over image over host.
 * request: {"config": config, "host": host,
 *           "flavor_extra_specs": {"dirtyring:ring": "on"|"off"|"auto",
 *                                  "dirtyring:ring_size": "8192", ...},
 *           "image_properties":   {"dirtyring_ring": ..., "dirtyring_ring_size": ...}}
 * result:  {"enabled": bool, "size": int (0 when disabled), "source": "flavor"|"image"|"host",
 *           "reason": str}
 * An explicit "on" that this host cannot honour is an error of kind unsupported.
 */
char *dr_ring_decide(const char *request_json);

/**
 * Checks that this host can receive a live-migrating guest whose ring is instance_ring_size
 * entries (0: no ring).
 * request: {"config": config, "host": host, "host_name": str, "instance_ring_size": int}
 * result:  {"allowed": bool, "reason": str}
 */
char *dr_destination_check(const char *request_json);

/**
 * Checks that a guest whose ring is instance_ring_size entries (0: no ring) may live-migrate
 * away from this host: a ring guest only from a host that qualified its ring size, unless
 * allow_unqualified.
 * request: {"host": host, "host_name": str, "instance_ring_size": int,
 *           "allow_unqualified": bool (default false)}
 * result:  {"allowed": bool, "unqualified": bool (the ring is not qualified here: allowed
 *           only through allow_unqualified, a risk to log), "reason": str}
 */
char *dr_source_check(const char *request_json);

/**
 * Returns the single <kvm> feature element for a guest with the ring, keeping every child that
 * Nova put in kvm_xml (for example <hidden state='on'/>).
 * request: {"kvm_xml": "<kvm>...</kvm>"|null, "ring_size": int}
 * result:  {"kvm_xml": "<kvm>...<dirty-ring state='on' size='N'/></kvm>"}
 */
char *dr_kvm_element(const char *request_json);

/**
 * Measures the dirty rate of running guests, all at once (one calc period for all of them).
 * request: {"domains": [name or UUID, ...], "seconds": 1..60,
 *           "mode": "auto"|"page-sampling"|"dirty-bitmap"|"dirty-ring"}
 *   auto: dirty-ring when the guest has the ring and the host qualified that ring size,
 *         dirty-bitmap when the guest has no ring, page-sampling otherwise.
 * result:  {"measurements": [{"ok": measurement} | {"error": error}, ...]} in request order.
 * After any dirty-ring operation every vCPU that was running must still progress; a stall is
 * an error of kind "stall" with the evidence, and records the host's qualification of that ring
 * size as "failed" (liveness). dirty-ring mode is refused (unsupported) where not qualified.
 * Bounded by seconds + the context's timeout_seconds (+ 1.5 s when a guest is measured in
 * dirty-ring mode: a 0.5 s baseline of its vCPU threads before and a 1 s check after).
 */
char *dr_dirty_rate_measure(dr_context *context, const char *request_json);

/**
 * Forecasts a pre-copy live migration (pure).
 * request: {"memory_mib": int (1..2^29), "dirty_rate_megabytes_per_second": number (0..2^30),
 *           "bandwidth_megabytes_per_second": number (0.001..2^30), "max_downtime_ms": number
 *           (0..1e9), "deadline_seconds": number (0..1e9),
 *           "working_set_mib": int (>= 0, optional; default and at most memory_mib: the most
 *           memory the guest dirties in one round)}
 * result:  forecast
 * Model: round 1 copies memory_mib; each later round copies what was dirtied during the one
 * before, min(rate * its duration, working set); when that fits in max_downtime_ms at the
 * bandwidth the guest is paused and it is copied (stop-and-copy).
 * A value out of range is an invalid_request error naming the field.
 */
char *dr_migration_forecast(const char *request_json);

/**
 * Decides what the pre-flight check does with a measurement (pure).
 * request: {"action": "warn"|"throttle"|"reject", "measurement": measurement,
 *           "libvirt": {"live_migration_bandwidth": MiB/s (0: unlimited),
 *                       "live_migration_downtime": ms,
 *                       "live_migration_completion_timeout": s per GiB (0: none)},
 *           "assumed_bandwidth_megabytes_per_second": number (used when the bandwidth is 0),
 *           "no_timeout_deadline_seconds": number (used when the timeout is 0)}
 * The bounds follow Nova's own rules: the deadline is the completion timeout times the guest's
 * memory in GiB, at least 2 GiB (ranges then as for dr_migration_forecast).
 * verdict: accept when the forecast converges; otherwise accept for warn, throttle for
 *          throttle (apply forecast.limit_megabytes_per_second; when null no limit is enough),
 *          reject for reject.
 * result:  {"verdict": "accept"|"throttle"|"reject", "forecast": forecast,
 *           "bounds": {"bandwidth_megabytes_per_second", "max_downtime_ms", "deadline_seconds"},
 *           "reason": str (one line whose key facts fit in Nova's 255-character event details:
 *           forecast, measured rate, bandwidth, memory, and what would make it pass)}
 */
char *dr_precheck_decide(const char *request_json);

/** An open notifier: the spool and the background publisher. Opaque. */
typedef void dr_notifier;

/**
 * Opens the notifier that publishes the product's notifications as oslo.messaging would for
 * Nova's configuration. Validates the configuration, opens (creating) and locks the spool, and
 * starts the background publisher; never waits for the broker.
 * config: {"host": "[DEFAULT] host",
 *          "notifications": {"driver": [..], "topics": [..], "retry": int, "transport_url": str|null
 *                            ([oslo_messaging_notifications]), "notification_format": str,
 *                            "versioned_notifications_topics": [..] ([notifications]),
 *                            "control_exchange": str ([DEFAULT])},
 *          "default_transport_url": "[DEFAULT] transport_url"|null,
 *          "rabbit": {"<[oslo_messaging_rabbit] option>": value, ...} (unknown options ignored),
 *          "spool_dir": absolute path, "spool_max_bytes": int (>= 1 MiB),
 *          "connection_name": str (shown by RabbitMQ)}
 * When Nova would send nothing (no driver, or only noop/log), the notifier accepts events and
 * sends nothing, and the spool is not touched. A wrong value is an invalid_config error naming
 * the option; a transport_url appears only with its password replaced.
 * Returns NULL on failure and, when error_json is not NULL, stores an error document there.
 */
dr_notifier *dr_notifier_open(const char *config_json, char **error_json);

/**
 * Accepts one event for the messages Nova would publish for it (one per format, driver and
 * topic) and returns at once, whatever the broker's state, without taking a lock: a background
 * thread reads the request, encodes the messages and appends them to the spool (within about a
 * millisecond), another publishes them. Each is sent until the broker confirms it, with the same
 * bytes (and _unique_id) on every retry, also after a restart (the spool is replayed in order).
 * A request that cannot be read is not sent: dr_notifier_status counts it ("invalid") and
 * hands over an error line naming the field.
 * request: {"event": "<event_type of the catalogue>", "timestamp_us": int (optional, default now),
 *           "instance": {"uuid", "tenant_id", "user_id"},             every event
 *           "measurement": measurement,                               measure and precheck
 *           "precheck": {"action": "warn"|"throttle"|"reject", "action_source": "flavor"|"host",
 *                        "decision": dr_precheck_decide's result},      precheck (the event must
 *                                                                       match its verdict)
 *           "fault": {"ring_size": int, "error": error document},     compute.dirty_ring.fault
 *           "throttle": {fields}}                                     throttle start/end
 * result:  {"messages": int} (0 when Nova sends no notifications); an error only for a NULL
 *          or closed notifier or a NULL request
 */
char *dr_notify(dr_notifier *notifier, const char *request_json);

/**
 * The notifier's state: {"enabled", "broker": "host:port" (absent when not connected), "blocked",
 * "pending", "unconfirmed", "spool_dir", "spool_bytes", "recovered", "accepted", "invalid", "confirmed",
 * "resent", "dropped", "spool_write_errors", "last_error" (absent when none),
 * "log": [{"level": "info"|"warning"|"error", "message": str}]}. The log lines are handed over
 * once: the caller writes them to its log. Counts are messages since the notifier was opened.
 */
char *dr_notifier_status(dr_notifier *notifier);

/**
 * Stops accepting, lets the publisher send and confirm what it can within timeout_ms, stops it,
 * and releases the notifier; what is unconfirmed stays in the spool for the next open. Returns
 * within timeout_ms plus one second; the final status (as dr_notifier_status).
 */
char *dr_notifier_close(dr_notifier *notifier, uint32_t timeout_ms);

/** A watched migration. Opaque. */
typedef void dr_migration_watch;

/**
 * Starts watching the outgoing live migration of a running guest on its own thread (the
 * migration may start after this returns), and plans how it will be made to converge.
 * request_json: {"instance": {"uuid": str (the domain's UUID), "tenant_id": str, "user_id": str},
 * "strategy": "auto-converge"|"force-complete"|"dirty-limit-only", "ring_size": int (0: none),
 * "libvirt": {"live_migration_bandwidth", "live_migration_downtime",
 * "live_migration_completion_timeout"}, "nova_auto_converge": bool,
 * "assumed_bandwidth_megabytes_per_second": num, "no_timeout_deadline_seconds": num,
 * "expected": {"dirty_rate_megabytes_per_second", "bandwidth_megabytes_per_second"} (optional),
 * "poll_seconds": num (0.1 to 10, default 0.5)}.
 * The dirty-limit (QMP set-vcpu-dirty-limit through libvirt, QEMU >= 7.1) is used where the guest
 * has a ring and the host's ring self-test passed; otherwise the strategy. While the migration
 * will not converge within its deadline, the watch sets the dirty-limit, or raises
 * "force_complete" in its status for the caller to ask Nova. Each throttle change is sent to
 * notifier (may be NULL) as instance.live_migration_throttle.start. A dirty-limit (or QEMU's
 * auto-converge) whose dirty rate has not fallen by 10 % after at least 10 s and two rounds (at
 * most 60 s) is dropped for the plan's fallback, a dirty-limit lifted first; that start
 * notification carries "ineffective_method". Returns NULL on failure and,
 * when error_json is not NULL, stores an error document there (no_domain for a guest that is not
 * running here). Every libvirt call is bounded by the context's timeout.
 */
dr_migration_watch *dr_migration_watch_start(dr_context *context, dr_notifier *notifier,
                                             const char *request_json, char **error_json);

/**
 * The watch's state: {"ok": {"plan": {"method": "dirty-limit"|"auto-converge"|"force-complete"|
 * "none", "reason": str, "auto_converge": {"initial_percent", "increment_percent"} or null (set:
 * the migration must start with VIR_MIGRATE_AUTO_CONVERGE and these parameters), "fallback":
 * method (takes over when the method shows no effect within its response window; "none": nothing
 * may), "fallback_reason": str}, "method": the method acting now (the plan's until it showed no
 * effect), "phase": "waiting"|"migrating"|"ended", "readings": int, "last": {...} or null,
 * "dirty_limit_megabytes_per_second": int or null, "auto_converge_percent": int,
 * "force_complete": bool, "log": [{"level", "message"}]}}. Log lines are handed over once.
 * Never blocks on libvirt.
 */
char *dr_migration_watch_status(dr_migration_watch *watch);

/**
 * Stops the watch, lifts every throttle it set (cancel-vcpu-dirty-limit, then checked with
 * query-vcpu-dirty-limit; a guest whose QEMU is gone has none), sends
 * instance.live_migration_throttle.end when there was a throttle, and releases the watch.
 * result: "completed", "failed" or "aborted". Returns within timeout_ms plus the context's
 * timeout for each of two QMP commands: {"ok": {"method", "result", "removed": bool,
 * "commands": [QMP texts sent, in order], "error": error or null, "log": [...]}}. A limit that
 * could not be lifted stays in the journal (<state_dir>/throttles) for
 * dr_throttles_lift_leftovers.
 */
char *dr_migration_watch_stop(dr_migration_watch *watch, const char *result, uint32_t timeout_ms);

/**
 * Ends every throttle in the journal (<state_dir>/throttles), left by a process that stopped
 * during a migration: a dirty-limit is cancelled; auto-converge and force-complete end with their
 * migration job and are only closed. Sends instance.live_migration_throttle.end (result
 * "restarted") for each to notifier (may be NULL): {"ok": [{"instance_uuid", "result": "lifted"|
 * "gone"|"failed"|"unreadable", "message"}]}. A failed one stays in the journal.
 */
char *dr_throttles_lift_leftovers(dr_context *context, dr_notifier *notifier);

/** Releases a string returned by this library. NULL is ignored. */
void dr_string_free(char *string);

#ifdef __cplusplus
}
#endif

#endif /* DIRTYRING_H */
