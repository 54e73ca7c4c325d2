import CConcurrencyHook
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOPosix

/// Can run Swift concurrency's global jobs on NIO's event loops (the ones that serve HTTP and
/// talk to Postgres and Redis) instead of a pool of its own, so that a request is not handed
/// from an event-loop thread to a pool thread and back at every `await` (issue 13: a third of
/// the servers' time went to those switches). NIO offers the same
/// (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`),
/// but finds the hook with dlsym, which fails in our statically linked release binaries.
///
/// Measured with bench/run.sh (docs/performance.md, two runs each way): writes gained 10-25 %,
/// but cached reads lost up to 30 % (request handling then shares the two event-loop threads
/// with all the I/O), so it is off unless `CONCURRENCY_EXECUTOR=event-loops`, an option for a
/// write-heavy context. Nothing may block a thread in a task then (it would stall I/O);
/// blocking work (librdkafka's polls and flushes) already runs on threads of its own.
enum ConcurrencyOnEventLoops {
    static func installIfChosen() {
        guard ProcessInfo.processInfo.environment["CONCURRENCY_EXECUTOR"] == "event-loops" else { return }
        lw_set_enqueue_global_hook { job, _ in
            // A job is one pointer, as `UnownedJob` is (the runtime's `Job *`).
            let job = unsafeBitCast(job, to: UnownedJob.self)
            // `any()` is the current event loop when called on one: no thread switch.
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(job)
        }
    }
}
