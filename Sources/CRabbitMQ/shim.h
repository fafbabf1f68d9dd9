#ifndef DIRTYRING_CRABBITMQ_SHIM_H
#define DIRTYRING_CRABBITMQ_SHIM_H
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

/* amqp_login_with_properties is variadic, which Swift cannot call: PLAIN login with a fixed
 * signature. The client properties advertise the `connection.blocked` capability (rabbitmq-c
 * does not by default, and the broker only tells clients that do about a resource alarm) and,
 * when not empty, a `connection_name` that RabbitMQ shows in its management views. */
static inline amqp_rpc_reply_t dirtyring_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                                          int channel_max, int frame_max, int heartbeat,
                                                          const char *connection_name, const char *user,
                                                          const char *password) {
    amqp_table_entry_t capabilities[1];
    capabilities[0].key = amqp_cstring_bytes("connection.blocked");
    capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
    capabilities[0].value.value.boolean = 1;
    amqp_table_entry_t entries[2];
    entries[0].key = amqp_cstring_bytes("capabilities");
    entries[0].value.kind = AMQP_FIELD_KIND_TABLE;
    entries[0].value.value.table.num_entries = 1;
    entries[0].value.value.table.entries = capabilities;
    int count = 1;
    if (connection_name != NULL && connection_name[0] != '\0') {
        entries[1].key = amqp_cstring_bytes("connection_name");
        entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
        entries[1].value.value.bytes = amqp_cstring_bytes(connection_name);
        count = 2;
    }
    amqp_table_t properties;
    properties.num_entries = count;
    properties.entries = entries;
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}
#endif
