/// Why a request got no response. Messages name the host and libcurl's own explanation, never a
/// header, a body or a URL path or query, which may carry secrets.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// libcurl could not be loaded or initialised (not installed, or missing functions).
    case libraryUnavailable(reason: String)
    /// The request or options were rejected before anything was sent.
    case invalidRequest(reason: String)
    /// The host name (or the proxy's) did not resolve.
    case cannotResolveHost(host: String, detail: String)
    /// No connection could be made: refused, unreachable, or the proxy failed.
    case connectFailed(host: String, detail: String)
    /// A timeout expired; `duringConnect` is true when no connection had been made yet.
    case timedOut(host: String, duringConnect: Bool, detail: String)
    /// The TLS handshake or the peer's certificate verification failed, or the CA bundle is unusable.
    case tlsFailed(host: String, detail: String)
    /// The response body or header block exceeded ``HTTPOptions/maxResponseBytes``.
    case responseTooLarge(host: String, limit: Int)
    /// The exchange broke after connecting: reset, empty reply, malformed HTTP and the like.
    /// `code` is libcurl's `CURLcode`.
    case transferFailed(host: String, code: Int, detail: String)

    /// Whether trying again later may succeed: network trouble yes; a missing library, a bad request,
    /// a TLS failure or an oversized response no.
    public var isTransient: Bool {
        switch self {
        case .cannotResolveHost, .connectFailed, .timedOut, .transferFailed:
            return true
        case .libraryUnavailable, .invalidRequest, .tlsFailed, .responseTooLarge:
            return false
        }
    }

    public var description: String {
        switch self {
        case let .libraryUnavailable(reason):
            return "libcurl is unavailable: \(reason)"
        case let .invalidRequest(reason):
            return "invalid HTTP request: \(reason)"
        case let .cannotResolveHost(host, detail):
            return "cannot resolve '\(host)': \(detail)"
        case let .connectFailed(host, detail):
            return "cannot connect to '\(host)': \(detail)"
        case let .timedOut(host, duringConnect, detail):
            return "\(duringConnect ? "connecting to" : "request to") '\(host)' timed out: \(detail)"
        case let .tlsFailed(host, detail):
            return "TLS with '\(host)' failed: \(detail)"
        case let .responseTooLarge(host, limit):
            return "response from '\(host)' exceeds \(limit) bytes"
        case let .transferFailed(host, code, detail):
            return "request to '\(host)' failed (curl error \(code)): \(detail)"
        }
    }
}
