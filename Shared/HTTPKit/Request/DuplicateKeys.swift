import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Finds an object key written twice in the same object of a JSON text that has already
/// parsed: Foundation's decoder keeps one of the two without a word. Keys compare as the
/// decoded `[String: JSONValue]` compares them (canonically equivalent keys are one key), so
/// this finds exactly the keys that dictionary would have merged.
enum DuplicateKeys {
    private enum Frame {
        case array
        case object(keys: Set<String>, expectingKey: Bool)
    }

    /// The first repeated key, decoded; nil when every object's keys are distinct.
    static func first(in json: some Collection<UInt8>) -> String? {
        let bytes = Array(json)
        var stack: [Frame] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"): stack.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _) = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: true) }
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard case .object(var keys, true) = stack.last else { break }
                let literal = bytes[start...min(index, bytes.count - 1)]
                // Escapes (`\u0061`) are decoded, so a key spelt two ways is still one key.
                let key =
                    literal.contains(UInt8(ascii: "\\"))
                    ? (try? JSONCoding.decoder.decode(String.self, from: Data(literal))) ?? ""
                    : String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                guard keys.insert(key).inserted else { return key }
                stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
            default: break
            }
            index += 1
        }
        return nil
    }
}
