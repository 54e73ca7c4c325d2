import ArgumentParser
import EventBus
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Storage

/// `lw-dev bench-json`: the time to encode one event envelope, streamed (`JSONCoding.encoder`)
/// and with Foundation's `JSONEncoder` (docs/performance.md has the results).
struct BenchJSON: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-json",
        abstract: "Measure encoding an event envelope, streamed and with Foundation's JSONEncoder.")

    @Option(help: "Encodings per measurement.") var count = 200_000

    func run() async throws {
        let payload = LoyaltyPointsEarned(
            userId: "bench-1234", transactionId: UUID(), points: 100, balance: 1_200, lifetimePoints: 3_000, tier: "SILVER",
            reason: "Order LW-10234", referenceType: "ORDER", referenceId: "LW-10234")
        let event = EventEnvelope(
            topic: Topics.loyaltyPointsEarned, source: "loyalty-service", correlationId: UUID().lowercasedString, userId: "bench-1234",
            payload: payload)
        for round in 1...3 {
            let streamed = try nanosecondsEach { try JSONCoding.encoder.bytes(event).count }
            let foundation = try nanosecondsEach { try JSONCoding.foundationEncoder.encode(event).count }
            print("round \(round): streamed \(streamed) ns, Foundation's JSONEncoder \(foundation) ns per envelope")
        }
    }

    private func nanosecondsEach(_ encode: () throws -> Int) rethrows -> Int {
        var bytes = 0
        let started = ContinuousClock.now
        for _ in 0..<count { bytes &+= try encode() }
        let elapsed = ContinuousClock.now - started
        precondition(bytes > 0)
        return Int(elapsed.nanoseconds) / count
    }
}
