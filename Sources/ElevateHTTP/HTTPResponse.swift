/// An HTTP response as received: any status code is a response, not an error.
///
/// Its `description` and mirror show the status and body size only: bodies carry credentials.
public struct HTTPResponse: Sendable, Equatable {
    /// The status code, such as 200.
    public var status: Int
    /// The header fields of the final response, in order.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension HTTPResponse: CustomStringConvertible, CustomReflectable {
    /// The status and the body size, such as `200 (1024 bytes)`.
    public var description: String {
        "\(status) (\(body.count) bytes)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["status": status, "headers": headers, "bodySize": body.count], displayStyle: .struct)
    }
}
