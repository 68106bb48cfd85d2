import ElevateSigV4
import Foundation
import Testing

/// One case of the vendored AWS SigV4 test suite, parsed from its `.req` file.
struct SuiteCase: Sendable, CustomTestStringConvertible {
    let name: String
    let request: SigV4Request
    let sessionToken: String?
    let canonicalRequest: String
    let stringToSign: String
    let authorization: String
    var testDescription: String { name }

    static let accessKeyId = "AKIDEXAMPLE"
    static let secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let region = "us-east-1"
    static let service = "service"
    /// 2015-08-30T12:36:00Z.
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    /// Every folder under Vectors that holds a `.req` file, by relative path.
    static func all() throws -> [SuiteCase] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            return []
        }
        var cases: [SuiteCase] = []
        for case let url as URL in walker where url.pathExtension == "req" {
            let directory = url.deletingLastPathComponent()
            let relative = String(
                directory.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            cases.append(
                try SuiteCase(
                    name: relative,
                    base: directory.appendingPathComponent(url.deletingPathExtension().lastPathComponent)))
        }
        return cases.sorted { $0.name < $1.name }
    }

    /// Loaded once for `@Test(arguments:)`; a load failure leaves it empty, which the count test reports.
    static let loaded: [SuiteCase] = (try? all()) ?? []

    init(name: String, base: URL) throws {
        func read(_ suffix: String) throws -> String {
            try String(contentsOf: base.appendingPathExtension(suffix), encoding: .utf8)
                .replacingOccurrences(of: "\r", with: "")
        }
        self.name = name
        canonicalRequest = try read("creq")
        stringToSign = try read("sts")
        authorization = try read("authz")
        let tokenLine = canonicalRequest.split(separator: "\n").first { $0.hasPrefix("x-amz-security-token:") }
        sessionToken = tokenLine.map { String($0.dropFirst("x-amz-security-token:".count)) }
        request = try Self.parse(read("req"))
    }

    struct MalformedRequest: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses a raw HTTP/1.1 request: request line, headers (with obs-fold continuation lines), blank line, body.
    static func parse(_ raw: String) throws -> SigV4Request {
        var lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst()
        // The target may contain spaces (normalize-path/get-space): method is the first word, version the last.
        guard let firstSpace = requestLine.firstIndex(of: " "), let lastSpace = requestLine.lastIndex(of: " "),
            firstSpace < lastSpace
        else { throw MalformedRequest(description: "bad request line '\(requestLine)'") }
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])

        var headers: [(name: String, value: String)] = []
        while let line = lines.first, !line.isEmpty {
            lines.removeFirst()
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw MalformedRequest(description: "bad header line '\(line)'")
            }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let body = lines.dropFirst().joined(separator: "\n")

        let path: String
        var query: [(name: String, value: String)] = []
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((formDecode(parts[0]), parts.count > 1 ? formDecode(parts[1]) : ""))
            }
        } else {
            path = target
        }
        let host = headers.first { $0.name.lowercased() == "host" }?.value ?? ""
        return SigV4Request(
            method: method, host: host, path: path, query: query, headers: headers, body: Array(body.utf8))
    }

    /// Decodes `%XX` and `+` like Python's `parse_qsl`, which botocore's test harness applies to the query.
    static func formDecode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
