import Synchronization

/// Work that must wait until the surrounding `Database.transaction` has committed, such as
/// dropping a cache entry the transaction made stale: done earlier, a concurrent read could
/// cache the old rows again before the commit.
///
///     await AfterCommit.schedule { await cache.invalidate(key) }
///
/// Outside a transaction (an autocommitted statement) the work runs at once. If the
/// transaction rolls back, the work is dropped.
public final class AfterCommit: Sendable {
    @TaskLocal static var current: AfterCommit?

    private let actions = Mutex<[@Sendable () async -> Void]>([])

    init() {}

    public static func schedule(_ action: @escaping @Sendable () async -> Void) async {
        if let current {
            current.actions.withLock { $0.append(action) }
        } else {
            await action()
        }
    }

    func run() async {
        for action in actions.withLock({ $0 }) { await action() }
    }
}
