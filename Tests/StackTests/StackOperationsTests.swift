import Contracts
import Foundation
import HTTPKit
import HTTPTypes
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import loyalty

/// `scripts/stack` as an operator uses it, on a stack of the test's own (the test run's
/// binaries, its own folder and ports, two loyalty instances), so the shared test stack is
/// left alone: a context killed with SIGKILL comes back with `up`; a rolling restart under
/// load fails no request and loses or doubles no write; a context serves alone while the
/// gateway answers the stopped ones' routes with the contract's 503.
///
/// One test over one private stack, its behaviours in this order: each starts where the one
/// before left the stack (the last stops contexts), and a stack of its own for each would
/// start PostgreSQL, Redis, five servers and nginx three times over.
@Suite(.needsStack) struct StackOperationsTests {
    @Test func killedRestartedAndAloneThroughTheGateway() async throws {
        let stack = try PrivateStack()
        do {
            try await stack.run("up", "--replicas", "loyalty=2")
            try await upBringsBackAContextKilledWithSIGKILL(stack)
            try await aRollingRestartUnderLoadFailsNothing(stack)
            try await aContextAloneServesWhileTheOthersAre503(stack)
        } catch {
            try? await stack.run("down")
            throw error
        }
        try await stack.run("down")
        try? FileManager.default.removeItem(atPath: stack.folder)
    }

    func upBringsBackAContextKilledWithSIGKILL(_ stack: PrivateStack) async throws {
        let killed = try stack.pid("loyalty")
        #expect(kill(killed, SIGKILL) == 0)
        #expect(
            try await eventually(timeout: .seconds(5)) {
                await stack.get("/health/ready", base: stack.instanceURL("loyalty"))?.status != .ok
            })
        let started = ContinuousClock.now
        try await stack.run("up")
        print("scripts/stack up restarted a killed loyalty in \(ContinuousClock.now - started)")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try stack.pid("loyalty") != killed)
        #expect(await stack.get("/health/ready", base: stack.instanceURL("loyalty"))?.status == .ok)
    }

    func aRollingRestartUnderLoadFailsNothing(_ stack: PrivateStack) async throws {
        let user = TestEnvironment.uniqueUser()
        let admin = try await TestEnvironment.token("admin-1", role: .admin)
        let customer = try await TestEnvironment.token(user)
        let before = (try stack.pid("loyalty"), try stack.pid("loyalty-2"))
        let done = Flag()
        let restarting = Task {
            defer { done.set() }
            try await stack.run("restart", "loyalty")
        }
        // Eight clients, reads and admin writes alike, until the restart is done. Like any HTTP
        // client, they retry a request whose connection closed before any answer (nginx's
        // reload closes idle keep-alive connections): a read as it is, a write with the same
        // Idempotency-Key, which the contract makes safe. Up to twice: the client's pool may hand
        // the retry another connection the same reload closed (a CI run saw that once).
        let outcomes = try await withThrowingTaskGroup(of: Load.self) { group in
            for client in 0..<8 {
                group.addTask {
                    var load = Load()
                    var request = 0
                    repeat {
                        request += 1
                        let write = !request.isMultiple(of: 2)
                        let number = request
                        @Sendable func attempt() async -> Result<Answer, any Error> {
                            write
                                ? await stack.send(
                                    .post, "/loyalty/transactions", token: admin,
                                    body: ["userId": "\(user)", "type": "EARN", "points": 1, "reason": "load \(client)-\(number)"],
                                    headers: [.idempotencyKey: "load-\(user)-\(client)-\(number)"])
                                : await stack.send(.get, "/loyalty", token: customer)
                        }
                        let started = ContinuousClock.now
                        var reply = await attempt()
                        defer { load.durations.append(ContinuousClock.now - started) }
                        for _ in 0..<2 where (try? reply.get()) == nil {
                            load.retried += 1
                            reply = await attempt()
                        }
                        let method = write ? "POST" : "GET"
                        let expected: HTTPResponse.Status = write ? .created : .ok
                        switch reply {
                        case .failure(let error): load.failures.append("\(method) nothing answered: \(error)")
                        case .success(let answer) where answer.status != expected: load.failures.append("\(method) \(answer)")
                        case .success(let answer) where write:
                            if let entry = try? answer.data(LedgerEntry.self) {
                                load.written.append(entry.id.lowercasedString)
                            } else {
                                load.failures.append("\(method) \(answer)")
                            }
                        case .success: break
                        }
                    } while !done.isSet
                    return load
                }
            }
            return try await group.reduce(into: Load()) { $0.add($1) }
        }
        try await restarting.value
        // Both instances were replaced.
        #expect(try stack.pid("loyalty") != before.0 && stack.pid("loyalty-2") != before.1)
        print(
            "rolling restart of loyalty under load: \(outcomes.written.count) writes acknowledged, \(outcomes.failures.count) requests failed, "
                + "\(outcomes.retried) retried after a closed keep-alive connection; p99 \(outcomes.p99) over \(outcomes.durations.count) requests")
        #expect(outcomes.failures.isEmpty, "\(outcomes.failures.prefix(5))")
        #expect(outcomes.written.count > 20)
        // Every acknowledged write is in the ledger, once.
        let ledger = try await withDatabase(schema: "loyalty", url: stack.databaseURL) { database in
            try await database.query("SELECT id::text FROM transactions WHERE user_id = \(user)").values(String.self)
        }
        #expect(ledger.sorted() == outcomes.written.sorted())
        let account = try await stack.send(.get, "/loyalty", token: customer).get().data(Account.self)
        #expect(account.points == outcomes.written.count)
    }

    func aContextAloneServesWhileTheOthersAre503(_ stack: PrivateStack) async throws {
        for context in ["profiles", "engagement", "support"] { try await stack.run("stop", context) }
        let customer = try await TestEnvironment.token(TestEnvironment.uniqueUser())
        #expect(try await stack.send(.get, "/loyalty", token: customer).get().status == .ok)
        for path in ["/profile", "/wishlist", "/support/tickets"] {
            let reply = try await stack.send(.get, path, token: customer).get()
            #expect(reply.status == .serviceUnavailable, "\(path)")
            #expect(reply.errorCode == "SERVICE_UNAVAILABLE" && reply.headers[.retryAfter] == "2")
            #expect(try reply.decode(Envelope.self).success == false && reply.headers[.requestId] != nil)
        }
        let unknown = try #require(await stack.get("/v1/customers/no-such-thing", base: stack.gateway))
        #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
    }
}

/// An envelope's `success`.
private struct Envelope: Decodable {
    let success: Bool
}

/// What the load's clients saw.
private struct Load: Sendable {
    var failures: [String] = []
    var written: [String] = []
    var retried = 0
    var durations: [Duration] = []

    mutating func add(_ other: Load) {
        failures += other.failures
        written += other.written
        retried += other.retried
        durations += other.durations
    }

    var p99: Duration { durations.sorted()[min(durations.count - 1, durations.count * 99 / 100)] }
}

/// Set once, read by many tasks.
private final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A stack that `scripts/stack` runs for one test, in a folder and on ports of its own.
struct PrivateStack: Sendable {
    let folder: String
    let environment: [String: String]

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("stack-\(UUID().lowercasedString.prefix(8))").path
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
            "STACK_DIR": folder, "STACK_BIN_DIR": TestEnvironment.binDirectory, "LOG_LEVEL": "warning",
            "RATE_LIMIT_MAX_REQUESTS": "0", "JWT_SECRET": TestEnvironment.jwtSecret,
        ]
        for name in ["GATEWAY_PORT", "PG_PORT", "REDIS_PORT", "PROFILES_PORT", "ENGAGEMENT_PORT", "SUPPORT_PORT", "LOYALTY_PORT", "LOYALTY_PORT_2"] {
            environment[name] = String(try freePort())
        }
        self.environment = environment
    }

    var gateway: String { "http://127.0.0.1:\(environment["GATEWAY_PORT"]!)" }
    var databaseURL: String { "postgres://postgres:postgres@127.0.0.1:\(environment["PG_PORT"]!)/lomash_wood_customer" }
    func instanceURL(_ context: String) -> String {
        "http://127.0.0.1:\(environment[context.uppercased() + "_PORT"]!)"
    }

    /// `scripts/stack ARGUMENTS…`, which must succeed.
    func run(_ arguments: String...) async throws {
        let (status, stderr) = try await runToCompletion(
            "/bin/bash", [repositoryRoot + "/scripts/stack"] + arguments, environment: environment)
        guard status == 0 else { throw TestFailure("scripts/stack \(arguments.joined(separator: " ")) exited \(status): \(stderr)") }
    }

    func pid(_ instance: String) throws -> pid_t {
        let text = try String(contentsOfFile: "\(folder)/services/\(instance).pid", encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no pid for \(instance)") }
        return pid
    }

    /// A GET to `base + path` (no token); nil when nothing answered.
    func get(_ path: String, base: String) async -> Answer? {
        try? await API.gateway(base: base, prefix: "").get(path, as: nil)
    }

    /// A request through this stack's gateway to `/v1/customers<path>` with `token`; the
    /// error when nothing answered.
    func send(
        _ method: HTTPRequest.Method, _ path: String, token: String, body: JSONValue? = nil, headers: HTTPFields = [:]
    ) async -> Result<Answer, any Error> {
        var headers = headers
        headers[.authorization] = "Bearer \(token)"
        let api = API.gateway(base: gateway)
        do {
            if let body { return .success(try await api.send(method, path, as: nil, body: body, headers: headers)) }
            return .success(try await api.send(method, path, as: nil, json: nil, headers: headers))
        } catch {
            return .failure(error)
        }
    }
}
