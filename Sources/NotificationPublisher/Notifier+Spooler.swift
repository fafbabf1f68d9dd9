import DirtyRingCore

/// The spooler thread: encodes accepted events into messages and appends them to the spool.
extension Notifier {
    /// While events keep coming, the spooler looks for more every millisecond instead of being
    /// woken by `notify` (which then makes no system call); after this many empty looks it
    /// sleeps until woken.
    static let spoolerPolls = 50
    /// Events encoded and written together.
    static let spoolerBatch = 256

    func runSpooler() {
        var random = RandomPool()
        var emptyPolls = Self.spoolerPolls
        while true {
            var batch = intake.takeAll()
            let stopping = closedFlag.load(ordering: .acquiring)
            if batch.isEmpty, !stopping {
                if emptyPolls < Self.spoolerPolls {
                    spoolerLock.withLock { spoolerLock.wait(seconds: 0.001) }
                } else {
                    spoolerLock.withLock {
                        // Sequentially consistent with `notify`'s push then load: either it
                        // sees the flag and wakes us, or we see its event and do not sleep.
                        spoolerSleeping.store(true, ordering: .sequentiallyConsistent)
                        if intake.waiting == 0, !closedFlag.load(ordering: .sequentiallyConsistent) {
                            spoolerLock.wait(seconds: 1)
                        }
                        spoolerSleeping.store(false, ordering: .sequentiallyConsistent)
                    }
                }
                batch = intake.takeAll()
            }
            emptyPolls = batch.isEmpty ? emptyPolls + 1 : 0
            // A few at a time: small buffers, one write each.
            var start = 0
            while start < batch.count {
                let end = min(batch.count, start + Self.spoolerBatch)
                spool(batch[start..<end], random: &random)
                start = end
            }
            if stopping, batch.isEmpty { break }
        }
        lock.withLock {
            shared.spoolerStopped = true
            lock.broadcast()
        }
    }

    /// Encodes `batch` (oslo's bytes, fresh identifiers), appends the messages to the spool in
    /// one write, and hands them to the publisher.
    private func spool(_ batch: ArraySlice<Intake>, random: inout RandomPool) {
        var records: [(record: SpoolRecord, bytes: Int)] = []
        var lines = ""
        var failures: [String] = []
        let first = lock.withLock { shared.nextSequence }
        for intake in batch {
            let messages: [OutgoingNotification]
            let event: NotificationEvent
            do {
                let (decodedEvent, data, timestamp) = try decode(intake)
                event = decodedEvent
                messages = try OutgoingNotification.plan(
                    event: event, data: data, host: settings.host, config: settings.config,
                    timestamp: timestamp, using: &random)
            } catch {
                failures.append(error.message)
                continue
            }
            for message in messages {
                let route = message.route
                let suffix = route.routingKey.utf8.count - event.priority.routingSuffix.utf8.count - 1
                let record = SpoolRecord(
                    sequence: first + UInt64(records.count), exchange: route.exchange.name,
                    topic: String(route.routingKey.utf8.prefix(max(0, suffix))) ?? route.routingKey,
                    priority: event.priority, body: message.body)
                let line = record.line
                lines += line
                records.append((record, line.utf8.count))
            }
        }
        var spoolError: SpoolError?
        if let spool, let last = records.last {
            do throws(SpoolError) {
                try spool.append(lines, first: first, last: last.record.sequence)
            } catch {
                spoolError = error
            }
        }
        if !failures.isEmpty {
            invalidMessages.add(failures.count * settings.config.messagesPerNotification, ordering: .relaxed)
        }
        let dropped = lock.withLock { () -> Int in
            shared.nextSequence = first + UInt64(records.count)
            var droppedNow = 0
            for (record, bytes) in records {
                let dropped = shared.queue.append(record, bytes: bytes)
                shared.dropped += dropped.count
                shared.droppedUnreported += dropped.count
                droppedNow += dropped.count
            }
            if let spoolError {
                shared.spoolWriteErrors += records.count
                shared.spoolErrorsUnreported += records.count
                shared.lastSpoolError = spoolError.description
            }
            for failure in failures {
                shared.log.append(.error, "notification not sent, its request is invalid: \(failure)")
            }
            if shared.publisherSleeping { lock.broadcast() }
            return droppedNow
        }
        // Dropped records are done: their segments leave the disk now, not at the next confirm.
        if dropped > 0 { persistDone() }
    }
}
