import CHiredis
import NIOCore

/// A command on its way to Redis with the promise its reply completes.
struct RESPRequest {
    var arguments: [String]
    var promise: EventLoopPromise<RESPValue>
}

/// Writes commands in RESP and decodes replies with hiredis' reader.
///
/// Redis answers in order, so replies complete promises first-in first-out; one
/// connection carries many concurrent commands (pipelining). All state is touched on
/// the channel's event loop only.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var reader: UnsafeMutablePointer<redisReader>?
    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()

    func handlerAdded(context: ChannelHandlerContext) {
        reader = redisReaderCreate()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        if let reader { redisReaderFree(reader) }
        reader = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.promise)
        context.write(wrapOutboundOut(Self.format(request.arguments, allocator: context.channel.allocator)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let reader else { return }
        let bytes = unwrapInboundIn(data)
        let fed = bytes.withUnsafeReadableBytes {
            redisReaderFeed(reader, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count)
        }
        guard fed == REDIS_OK else { return protocolFailure(context) }
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else { return protocolFailure(context) }
            guard let raw else { return }  // incomplete: wait for more bytes
            let value = RESPValue(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            if let promise = pending.popFirst() {
                promise.succeed(value)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisError.connectionClosed)
        context.close(promise: nil)
    }

    private func protocolFailure(_ context: ChannelHandlerContext) {
        failAll(RedisError.protocolError("unreadable reply"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        while let promise = pending.popFirst() { promise.fail(error) }
    }

    /// A command as RESP writes it, straight into the buffer: an array of bulk strings,
    /// `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` for each argument. The length is in
    /// bytes, so an argument may hold any bytes, CR and LF included.
    static func format(_ arguments: [String], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: arguments.reduce(16) { $0 + $1.utf8.count + 16 })
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeString("\r\n")
        }
        return buffer
    }
}
