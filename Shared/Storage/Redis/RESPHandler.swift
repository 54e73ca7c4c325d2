import CHiredis
import NIOCore

/// A command on its way to Redis with the promise its reply completes.
struct RESPRequest {
    var arguments: [String]
    var promise: EventLoopPromise<RESPValue>
}

/// Encodes commands with hiredis' formatter and decodes replies with its reader.
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
        guard let command = Self.format(request.arguments, allocator: context.channel.allocator) else {
            request.promise.fail(RedisError.protocolError("cannot encode command"))
            return
        }
        pending.append(request.promise)
        context.write(wrapOutboundOut(command), promise: promise)
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

    /// RESP encoding by hiredis (`redisFormatCommandArgv`), copied into a NIO buffer.
    private static func format(_ arguments: [String], allocator: ByteBufferAllocator) -> ByteBuffer? {
        // Copy each argument with its exact length: values may hold any bytes.
        let copies: [UnsafeMutableBufferPointer<CChar>] = arguments.map { argument in
            let utf8 = argument.utf8
            let copy = UnsafeMutableBufferPointer<CChar>.allocate(capacity: utf8.count + 1)
            _ = copy.initialize(from: utf8.map { CChar(bitPattern: $0) })
            copy[utf8.count] = 0
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0.baseAddress) }
        let lengths = arguments.map { $0.utf8.count }
        var target: UnsafeMutablePointer<CChar>?
        let length = redisFormatCommandArgv(&target, Int32(arguments.count), &argv, lengths)
        guard length > 0, let target else { return nil }
        defer { redisFreeCommand(target) }
        var buffer = allocator.buffer(capacity: Int(length))
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        return buffer
    }
}
