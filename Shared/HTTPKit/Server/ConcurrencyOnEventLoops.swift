import CConcurrencyHook
import Foundation
import NIOCore
import NIOPosix

/// Runs Swift concurrency's global jobs on NIO's event loops (the ones that serve HTTP and
/// talk to Postgres and Redis) instead of a pool of its own, so that a request is not handed
/// from an event-loop thread to a pool thread and back at every `await` (issue 13: a third of
/// the servers' time went to those switches). NIO offers the same
/// (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`),
/// but finds the hook with dlsym, which fails in our statically linked release binaries.
///
/// The price: nothing may block a thread in a task (it would stall I/O); blocking work
/// (librdkafka's polls and flushes, child processes) already runs on threads of its own.
/// `CONCURRENCY_EXECUTOR=pool` keeps Swift's own pool.
enum ConcurrencyOnEventLoops {
    static func installUnlessDisabled() {
        guard ProcessInfo.processInfo.environment["CONCURRENCY_EXECUTOR"] != "pool" else { return }
        lw_set_enqueue_global_hook { job, _ in
            // A job is one pointer, as `UnownedJob` is (the runtime's `Job *`).
            let job = unsafeBitCast(job, to: UnownedJob.self)
            // `any()` is the current event loop when called on one: no thread switch.
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(job)
        }
    }
}
