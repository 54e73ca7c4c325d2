import Synchronization

/// Wakes a waiting loop early: `ring()` from a notification, `wait(upTo:)` in the loop.
/// A ring while nobody waits is remembered, so none is lost between two waits.
final class Doorbell: Sendable {
    private let state = Mutex<(rung: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next ring, after `timeout`, or when the task is cancelled.
    func wait(upTo timeout: Duration) async {
        if state.withLock({ state in
            defer { state.rung = false }
            return state.rung
        }) {
            return
        }
        let timer = Task { [weak self] in
            // A cancelled timer (the bell rang first) must not ring again.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.ring()
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let rungMeanwhile = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if rungMeanwhile { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
    }
}
