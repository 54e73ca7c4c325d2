import Foundation
import Storage

/// A server a test starts itself (e.g. a Redis it can stop), bound to 127.0.0.1 on a port
/// the test chose, and stopped by its pid.
///
/// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process` waits on a run
/// loop, which can starve Swift's small cooperative pool on a 2-core machine.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    private var reaped = false
    private let lock = NSLock()

    /// Starts `redis-server` on a free loopback port and waits until it answers.
    public static func redis() async throws -> ChildProcess {
        let port = try freePort()
        let child = try ChildProcess(
            executable: "/usr/bin/redis-server",
            arguments: ["--bind", "127.0.0.1", "--port", "\(port)", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            port: port)
        try await child.waitForListener()
        return child
    }

    public init(executable: String, arguments: [String], port: Int) throws {
        self.port = port
        self.pid = try spawn(executable, arguments, environment: nil, stderr: "/dev/null")
    }

    /// Starts a built service (`LW_BIN_DIR`) on a free port with `environment` (over a PATH,
    /// `HOST` and `PORT` of its own), its standard output and error in `log` and `log.err`, and
    /// waits until its `/health/ready` answers 200 (its migrations applied).
    public static func service(_ name: String, environment: [String: String], log: String) async throws -> ChildProcess {
        let port = try freePort()
        var environment = environment
        environment["PATH"] = "/usr/bin:/bin"
        environment["HOST"] = "127.0.0.1"
        environment["PORT"] = String(port)
        let child = ChildProcess(
            pid: try spawn(TestEnvironment.binDirectory + "/" + name, ["serve"], environment: environment, stdout: log, stderr: log + ".err"),
            port: port)
        let api = API.gateway(base: "http://127.0.0.1:\(port)", prefix: "")
        for _ in 0..<300 {
            if canConnect(port: port), (try? await api.get("/health/ready", as: nil).status) == .ok { return child }
            try await Task.sleep(for: .milliseconds(100))
        }
        child.stop()
        throw TestFailure("\(name) did not become ready: \((try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? "")")
    }

    private init(pid: pid_t, port: Int) {
        self.pid = pid
        self.port = port
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// `signal` (SIGTERM unless given), SIGKILL after 5 s, and reaps the process.
    public func stop(signal: Int32 = SIGTERM) {
        lock.withLock {
            guard !reaped else { return }
            reaped = true
            kill(pid, signal)
            var status: Int32 = 0
            for _ in 0..<500 {
                if waitpid(pid, &status, WNOHANG) == pid { return }
                usleep(10_000)
            }
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }

    deinit { stop() }

    func waitForListener() async throws {
        for _ in 0..<250 {
            if canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop()
        throw TestFailure("nothing listens on 127.0.0.1:\(port)")
    }
}

/// 127.0.0.1:`port` as the socket calls take it (0: any free port).
func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

/// A TCP port on 127.0.0.1 that is free right now.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// Runs a program to completion and returns its exit status and standard error, e.g. a
/// service binary that must refuse to start. The wait happens on a thread of its own: a
/// blocking `waitpid` on the cooperative pool (two threads here) stalls every other test.
public func runToCompletion(
    _ executable: String, _ arguments: [String], environment: [String: String]
) async throws -> (status: Int32, stderr: String) {
    let run = try await runCapturingOutput(executable, arguments, environment: environment)
    return (run.status, run.stderr)
}

/// Runs `executable` to its end and returns its exit status, standard output and standard error.
public func runCapturingOutput(
    _ executable: String, _ arguments: [String], environment: [String: String]
) async throws -> (status: Int32, stdout: String, stderr: String) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)").path
    defer {
        unlink(base + ".out")
        unlink(base + ".err")
    }
    let pid = try spawn(executable, arguments, environment: environment, stdout: base + ".out", stderr: base + ".err")
    let status = await onAThreadOfItsOwn {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return (exitStatus, read(base + ".out"), read(base + ".err"))
}

/// Runs blocking work (a `waitpid`, librdkafka's destroy calls) on a thread of its own: on the
/// cooperative pool, two threads here, it would stall every other test meanwhile.
public func onAThreadOfItsOwn<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

/// posix_spawn with stdout to `stdout` (/dev/null unless given) and stderr to `stderr`. The child gets an empty
/// signal mask and default dispositions: the test process runs on dispatch threads, which
/// block signals, and a child inheriting that mask would ignore SIGTERM.
func spawn(
    _ executable: String, _ arguments: [String], environment: [String: String]?, stdout: String = "/dev/null", stderr: String
) throws -> pid_t {
    // An instrumented run (scripts/test --coverage) counts what the started programs run too.
    var environment = environment
    if let profile = ProcessInfo.processInfo.environment["LLVM_PROFILE_FILE"], environment?["LLVM_PROFILE_FILE"] == nil {
        environment?["LLVM_PROFILE_FILE"] = profile
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { for pointer in argv + (envp ?? []) { free(pointer) } }
    var pid: pid_t = 0
    let result =
        envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
        ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard result == 0 else { throw TestFailure("cannot start \(executable): error \(result)") }
    return pid
}

/// `operation`'s result, or a `TestFailure` once `deadline` passes first. The operation runs in
/// a task of its own, left to finish (or not) on its own after the deadline: a test that waits
/// on something that never answers fails, naming `what`, instead of holding the whole run.
public func withDeadline<Value: Sendable>(
    _ deadline: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let outcome = FirstOutcome<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.waiting(continuation)
        let work = Task {
            do { outcome.resume(with: .success(try await operation())) } catch { outcome.resume(with: .failure(error)) }
        }
        Task {
            try? await Task.sleep(for: deadline)
            if outcome.resume(with: .failure(TestFailure("\(what) did not finish within \(deadline)"))) { work.cancel() }
        }
    }
}

/// A socket listening on 127.0.0.1:`port` that accepts nothing by itself: a connection made
/// to it completes in the kernel's backlog, where `pendingConnections` finds it.
public final class LoopbackListener: @unchecked Sendable {
    private let fd: Int32

    /// nil when the port is taken.
    public init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            return nil
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Connections made so far (each is accepted and closed as it is counted).
    public var pendingConnections: Int {
        var count = 0
        while case let connection = accept(fd, nil, nil), connection >= 0 {
            Glibc.close(connection)
            count += 1
        }
        return count
    }

    public func close() { Glibc.close(fd) }
}
