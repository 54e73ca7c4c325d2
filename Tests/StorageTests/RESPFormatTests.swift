import NIOCore
import Testing

@testable import Storage

/// Commands leave as RESP arrays of bulk strings, lengths in bytes.
@Suite struct RESPFormatTests {
    @Test func aCommandIsAnArrayOfBulkStrings() {
        let buffer = RESPHandler.format(["SET", "k", "v"], allocator: ByteBufferAllocator())
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    }

    @Test func lengthsCountBytesAndAnyByteMayTravel() {
        let buffer = RESPHandler.format(["SET", "caf\u{E9}", "a\r\nb", ""], allocator: ByteBufferAllocator())
        #expect(String(buffer: buffer) == "*4\r\n$3\r\nSET\r\n$5\r\ncaf\u{E9}\r\n$4\r\na\r\nb\r\n$0\r\n\r\n")
    }
}
