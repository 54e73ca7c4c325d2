import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends `request` as it is — bytes no HTTP client would write (a broken request line, bad
/// chunk framing) — to 127.0.0.1:`port` and returns what came back until the server closed the
/// connection or `timeout` passed.
public func rawHTTP(port: Int, _ request: [UInt8], timeout: Duration = .seconds(5)) async throws -> String {
    try await onAThreadOfItsOwn {
        Result { () throws -> String in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw TestFailure("connect to \(port): errno \(errno)") }
            var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            var sent = 0
            while sent < request.count {
                let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { break }  // the server may refuse before reading it all
                sent += count
            }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                answer += buffer[..<count]
            }
            return String(decoding: answer, as: UTF8.self)
        }
    }.get()
}
