import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A small Redis client: one pipelined connection, hiredis for the protocol, SwiftNIO for
/// the socket, so no call ever blocks a thread.
///
/// It is built for a cache: every command has a tight timeout, and after any failure the
/// client refuses commands (`RedisError.unavailable`) for `retryDelay` before it tries to
/// reconnect, so an outage costs callers nothing but their fallback path.
public final class RedisClient: Sendable {
    private enum State {
        case idle(retryAfter: NIODeadline)
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        case shutDown
    }

    public let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>

    public init(
        _ configuration: RedisConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.state = Mutex(.idle(retryAfter: .uptimeNanoseconds(0)))
    }

    /// Sends one command and waits for its reply. Error replies are thrown as `.server`.
    /// A span names the command (not its keys) when tracing is on.
    @discardableResult
    public func send(_ arguments: [String]) async throws(RedisError) -> RESPValue {
        guard Spans.enabled else { return try await exchange(arguments) }
        do {
            return try await Spans.client("redis \(arguments.first ?? "")", system: "redis", statement: arguments.first ?? "") {
                try await exchange(arguments)
            }
        } catch {
            throw (error as? RedisError) ?? .connectionClosed
        }
    }

    private func exchange(_ arguments: [String]) async throws(RedisError) -> RESPValue {
        let channel = try await connectedChannel()
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let timeout = channel.eventLoop.scheduleTask(in: .init(configuration.commandTimeout)) {
            // Fail this command now; closing also fails whatever was pipelined behind it,
            // and the back-off keeps a slow Redis from slowing every request.
            promise.fail(RedisError.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        channel.writeAndFlush(RESPRequest(arguments: arguments, promise: promise), promise: nil)
        let reply: RESPValue
        do {
            reply = try await promise.futureResult.get()
        } catch {
            throw (error as? RedisError) ?? .connectionClosed
        }
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    public func get(_ key: String) async throws(RedisError) -> String? {
        try await send(["GET", key]).string
    }

    public func set(_ key: String, _ value: String, ttlSeconds: Int) async throws(RedisError) {
        try await send(["SET", key, value, "EX", String(ttlSeconds)])
    }

    public func delete(_ keys: [String]) async throws(RedisError) {
        guard !keys.isEmpty else { return }
        try await send(["DEL"] + keys)
    }

    public func ping() async -> Bool {
        (try? await send(["PING"]).string) == "PONG"
    }

    /// Closes the connection; later commands fail with `.unavailable`.
    public func shutdown() {
        let channel: (any Channel)? = state.withLock { state in
            defer { state = .shutDown }
            if case .connected(let channel) = state { return channel }
            return nil
        }
        channel?.close(promise: nil)
    }

    // MARK: - Connection

    private func connectedChannel() async throws(RedisError) -> any Channel {
        let future: EventLoopFuture<any Channel> = try state.withLock { (state) throws(RedisError) in
            switch state {
            case .connected(let channel) where channel.isActive:
                return channel.eventLoop.makeSucceededFuture(channel)
            case .connecting(let future):
                return future
            case .idle(let retryAfter) where NIODeadline.now() < retryAfter:
                throw .unavailable
            case .shutDown:
                throw .unavailable
            case .idle, .connected:
                let future = connect()
                state = .connecting(future)
                return future
            }
        }
        do {
            return try await future.get()
        } catch {
            throw (error as? RedisError) ?? .unavailable
        }
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let configuration = configuration
        let future = ClientBootstrap(group: group)
            .connectTimeout(.init(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RESPHandler())
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMap { channel in self.handshake(channel).map { channel } }

        future.whenComplete { result in
            switch result {
            case .success(let channel):
                self.state.withLock { state in
                    if case .shutDown = state { channel.close(promise: nil) } else { state = .connected(channel) }
                }
                channel.closeFuture.whenComplete { _ in self.markFailed() }
            case .failure(let error):
                self.logger.debug("redis connect failed", metadata: ["error": "\(error)"])
                self.markFailed()
            }
        }
        return future
    }

    /// AUTH and SELECT, when configured, before the connection is handed out.
    private func handshake(_ channel: any Channel) -> EventLoopFuture<Void> {
        var commands: [[String]] = []
        if let password = configuration.password { commands.append(["AUTH", password]) }
        if configuration.database != 0 { commands.append(["SELECT", String(configuration.database)]) }
        let replies = commands.map { command in
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            channel.writeAndFlush(RESPRequest(arguments: command, promise: promise), promise: nil)
            return promise.futureResult.flatMapThrowing { reply in
                if case .error(let message) = reply { throw RedisError.server(message) }
            }
        }
        return EventLoopFuture.andAllSucceed(replies, on: channel.eventLoop)
            .flatMapError { error in channel.close().flatMapThrowing { throw error } }
    }

    private func markFailed() {
        state.withLock { state in
            if case .shutDown = state { return }
            state = .idle(retryAfter: .now() + .init(configuration.retryDelay))
        }
    }
}
