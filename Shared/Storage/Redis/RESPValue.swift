import CHiredis
import NIOCore

/// A Redis reply.
public enum RESPValue: Sendable, Equatable {
    case null
    case string(ByteBuffer)
    case status(String)
    case integer(Int)
    case array([RESPValue])
    case error(String)

    public var string: String? {
        switch self {
        case .string(let buffer): return String(buffer: buffer)
        case .status(let status): return status
        default: return nil
        }
    }

    public var integer: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// Copies a hiredis reply tree into Swift values (the caller frees the C reply).
    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            var buffer = ByteBufferAllocator().buffer(capacity: r.len)
            buffer.writeBytes(UnsafeRawBufferPointer(start: r.str, count: r.len))
            self = .string(buffer)
        case REDIS_REPLY_STATUS:
            self = .status(Self.text(r))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(r))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<r.elements).map { RESPValue(r.element[$0]!) })
        default:
            self = .null
        }
    }

    private static func text(_ r: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self)
    }
}
