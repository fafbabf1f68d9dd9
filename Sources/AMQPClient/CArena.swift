internal import CRabbitMQ
import DirtyRingCore

/// C memory for the arguments of one rabbitmq-c call (strings, byte buffers, field tables),
/// released together when the arena goes away.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for allocation in allocations { allocation.deallocate() }
    }

    private func copy(_ bytes: some Collection<UInt8>, terminated: Bool) -> UnsafeMutableRawPointer {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + (terminated ? 1 : 0), alignment: 8)
        allocations.append(memory)
        var offset = 0
        for byte in bytes {
            memory.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
        if terminated { memory.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self) }
        return memory
    }

    func bytes(_ bytes: some Collection<UInt8>) -> amqp_bytes_t {
        amqp_bytes_t(len: bytes.count, bytes: bytes.isEmpty ? nil : copy(bytes, terminated: false))
    }

    func bytes(_ text: String) -> amqp_bytes_t { bytes(Array(text.utf8)) }

    /// A NUL-terminated copy; the caller has checked that `text` holds no NUL.
    func cString(_ text: String) -> UnsafePointer<CChar> {
        UnsafePointer(copy(Array(text.utf8), terminated: true).assumingMemoryBound(to: CChar.self))
    }

    /// A field table with each value written with its `tableType`.
    func table(_ entries: [(String, AMQPFieldValue)]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let memory = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<amqp_table_entry_t>.stride * entries.count,
            alignment: MemoryLayout<amqp_table_entry_t>.alignment)
        allocations.append(memory)
        let table = memory.bindMemory(to: amqp_table_entry_t.self, capacity: entries.count)
        for (index, (key, value)) in entries.enumerated() {
            var field = amqp_field_value_t()
            field.kind = UInt8(ascii: value.tableType.unicodeScalars.first ?? "V")
            switch value {
            case .string(let text): field.value.bytes = bytes(text)
            case .bool(let flag): field.value.boolean = flag ? 1 : 0
            case .integer(let number):
                if value.tableType == "I" { field.value.i32 = Int32(truncatingIfNeeded: number) }
                else { field.value.u64 = UInt64(bitPattern: number) }  // `L`, as py-amqp writes it
            }
            (table + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field))
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: table)
    }
}

extension amqp_bytes_t {
    /// A copy of the bytes.
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    /// The bytes as UTF-8, invalid sequences repaired.
    var string: String { String(decoding: array, as: UTF8.self) }
}

extension amqp_table_t {
    /// The entries in order, with the values that have an `AMQPFieldValue`.
    var fields: [(String, AMQPFieldValue?)] {
        guard num_entries > 0, let entries else { return [] }
        return (0..<Int(num_entries)).map { index in
            let entry = entries[index]
            return (entry.key.string, entry.value.fieldValue)
        }
    }
}

extension amqp_field_value_t {
    var fieldValue: AMQPFieldValue? {
        switch UnicodeScalar(kind) {
        case "t": .bool(value.boolean != 0)
        case "b": .integer(Int64(value.i8))
        case "B": .integer(Int64(value.u8))
        case "s": .integer(Int64(value.i16))
        case "u": .integer(Int64(value.u16))
        case "I": .integer(Int64(value.i32))
        case "i": .integer(Int64(value.u32))
        case "l": .integer(value.i64)
        case "L": .integer(Int64(bitPattern: value.u64))
        case "S": .string(value.bytes.string)
        default: nil
        }
    }
}
