#if canImport(Glibc)
import Glibc
#endif

/// This process's environment as a dictionary, read straight from `environ`: the first entry of a repeated name
/// wins, as `getenv` answers; entries without `=` are skipped; bytes that are not UTF-8 are repaired.
///
/// The same content as Foundation's `ProcessInfo.environment`, at a fraction of the cost (that one searches each
/// entry by `Character`); every `credential-process` run reads it once.
public func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
    guard var entry = table else { return result }
    while let text = entry.pointee {
        let length = strlen(text)
        text.withMemoryRebound(to: UInt8.self, capacity: length) { start in
            let bytes = UnsafeBufferPointer(start: start, count: length)
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return }
            let name = String(decoding: bytes[..<equals], as: UTF8.self)
            if result[name] == nil {
                result[name] = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
            }
        }
        entry += 1
    }
    return result
}
