/// One message for the broker: where it goes and the exact body.
public struct OutgoingNotification: Equatable, Sendable {
    public var route: NotificationRoute
    public var notification: OsloNotification
    public var driver: NotificationDriver

    /// The AMQP body: the 2.0 envelope for `messagingv2`, the bare message for `messaging`.
    public var body: String {
        driver == .messaging ? notification.message.serialized : notification.body
    }

    /// Every message Nova (through oslo) would publish for one event: for each format of
    /// `notification_format` (unversioned first), one `Notifier` call with its own `message_id`
    /// and timestamp; within it, for each publishing driver and each topic, one message with a
    /// fresh `_unique_id` (oslo draws it per send). Empty when Nova would send nothing.
    public static func plan<G: RandomNumberGenerator>(
        event: NotificationEvent, data: OsloJSON, host: String, config: NotificationConfig,
        timestamp: OsloTimestamp, using generator: inout G
    ) throws(DirtyRingError) -> [OutgoingNotification] {
        var result: [OutgoingNotification] = []
        for format in config.notificationFormat.formats {
            let messageID = NotificationIdentifiers.uuid4(using: &generator, hyphens: true)
            for driver in config.publishingDrivers {
                for topic in config.topics(for: format) {
                    let route = try NotificationRoute(controlExchange: config.controlExchange, topic: topic,
                                                      priority: event.priority, options: config.queue)
                    let notification = OsloNotification(
                        messageID: messageID, publisherID: format.publisherID(host: host), eventType: event.eventType,
                        priority: event.priority, payload: format.payload(for: event, data: data), timestamp: timestamp,
                        uniqueID: NotificationIdentifiers.uuid4(using: &generator, hyphens: false))
                    result.append(OutgoingNotification(route: route, notification: notification, driver: driver))
                }
            }
        }
        return result
    }
}
