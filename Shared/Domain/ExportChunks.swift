import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Splits a context's export part into chunks that each encode to about `budget` bytes, and
/// merges them back. A part is a JSON object; its long lists (ledger entries, tickets) are
/// what grows, so a chunk is the same object with some of the list items:
///
///     {"loyalty": {"account": {…}, "transactions": [t1 … t900]}, "referrals": []}
///     {"loyalty": {"transactions": [t901 … t1800]}}
///
/// Merging is a deep merge: objects merge key by key, lists concatenate in chunk order. So
/// the rule a reader needs is one line, and no context has to know another's shape.
public enum ExportChunks {
    /// Well under Kafka's default 1 MB message limit, with room for the envelope.
    public static let defaultBudget = 256 * 1024
    /// What a chunk may not exceed: an item larger than this alone (a ticket with hundreds of
    /// the longest messages) cannot travel, and is refused rather than left to block the outbox.
    public static let limit = 900 * 1024

    public struct ItemTooLarge: Error, CustomStringConvertible {
        public let bytes: Int
        public var description: String { "an export part's item encodes to \(bytes) bytes, over the \(ExportChunks.limit)-byte message limit" }
    }

    /// Throws `ItemTooLarge` when one list item alone is over `limit`.
    public static func split(_ part: JSONValue, budget: Int = defaultBudget) throws -> [JSONValue] {
        var chunks: [[Leaf]] = [[]]
        var size = 0
        for leaf in leaves(of: part, at: []) {
            // A leaf's cost: its value and the keys that lead to it. A single item larger than
            // the budget travels alone, up to the limit.
            let cost = try JSONCoding.encoder.encode(leaf.value).count + leaf.path.reduce(8) { $0 + $1.utf8.count + 6 }
            guard cost <= limit else { throw ItemTooLarge(bytes: cost) }
            if size > 0 && size + cost > budget {
                chunks.append([])
                size = 0
            }
            chunks[chunks.count - 1].append(leaf)
            size += cost
        }
        return chunks.map { build($0[...], depth: 0) }
    }

    /// The part the chunks came from (in chunk order).
    public static func merge(_ chunks: [JSONValue]) -> JSONValue {
        chunks.reduce(into: JSONValue.object([:])) { merged, chunk in merged.deepMerge(chunk) }
    }

    private struct Leaf {
        let path: [String]
        let value: JSONValue
        /// An item of the list at `path`, rather than the value at `path`.
        let isItem: Bool
    }

    /// Objects are walked into (keys in order); a non-empty list gives its items; anything
    /// else is one leaf. Leaves of one path are therefore next to each other.
    private static func leaves(of value: JSONValue, at path: [String]) -> [Leaf] {
        switch value {
        case .object(let fields) where !fields.isEmpty:
            fields.keys.sorted().flatMap { leaves(of: fields[$0]!, at: path + [$0]) }
        case .array(let items) where !items.isEmpty:
            items.map { Leaf(path: path, value: $0, isItem: true) }
        default:
            [Leaf(path: path, value: value, isItem: false)]
        }
    }

    /// The object holding `leaves`, whose paths agree up to `depth`.
    private static func build(_ leaves: ArraySlice<Leaf>, depth: Int) -> JSONValue {
        guard let first = leaves.first else { return .object([:]) }
        if first.path.count == depth {
            return first.isItem ? .array(leaves.map(\.value)) : first.value
        }
        var fields: [String: JSONValue] = [:]
        var start = leaves.startIndex
        while start < leaves.endIndex {
            let key = leaves[start].path[depth]
            var end = start + 1
            while end < leaves.endIndex && leaves[end].path[depth] == key { end += 1 }
            fields[key] = build(leaves[start..<end], depth: depth + 1)
            start = end
        }
        return .object(fields)
    }
}

extension JSONValue {
    /// Objects merge key by key and lists concatenate; anything else is replaced.
    public mutating func deepMerge(_ other: JSONValue) {
        switch (self, other) {
        case (.object(var fields), .object(let more)):
            for (key, value) in more {
                if var existing = fields[key] {
                    existing.deepMerge(value)
                    fields[key] = existing
                } else {
                    fields[key] = value
                }
            }
            self = .object(fields)
        case (.array(let items), .array(let more)):
            self = .array(items + more)
        default:
            self = other
        }
    }
}
