/// Whether a request may go through a proxy.
public enum ProxyPolicy: Sendable, Equatable {
    /// libcurl's own environment handling: `http_proxy` (lower case only), `HTTPS_PROXY`/`https_proxy`,
    /// `ALL_PROXY`/`all_proxy` and `NO_PROXY`/`no_proxy`. For AWS endpoints such as STS.
    case environment
    /// Never a proxy, whatever the environment says. For the instance metadata service, which must
    /// be reached directly.
    case none
}

/// How one request is sent. TLS peer and host verification are always on, redirects are never
/// followed and only `http` and `https` are allowed; none of that can be changed.
public struct HTTPOptions: Sendable, Equatable {
    /// Whether the request may go through a proxy.
    public var proxy: ProxyPolicy
    /// The longest wait for the connection (TCP and TLS), in milliseconds; above zero.
    public var connectTimeoutMilliseconds: Int
    /// The longest wait for the whole exchange, connection included, in milliseconds; above zero.
    public var timeoutMilliseconds: Int
    /// A PEM file of certificate authorities to trust instead of the system's (`AWS_CA_BUNDLE`,
    /// a profile's `ca_bundle`), or nil for the system's. When set, only this file is trusted: neither
    /// the system bundle nor libcurl's built-in CA directory is consulted.
    public var caBundlePath: String?
    /// The largest body accepted, in bytes; a larger one fails with ``HTTPError/responseTooLarge(host:limit:)``.
    /// The header block is held to the same limit.
    public var maxResponseBytes: Int

    /// Creates options; the proxy policy has no default because IMDS and STS need opposite ones.
    public init(
        proxy: ProxyPolicy,
        connectTimeoutMilliseconds: Int = 5_000,
        timeoutMilliseconds: Int = 30_000,
        caBundlePath: String? = nil,
        maxResponseBytes: Int = 1 << 20
    ) {
        self.proxy = proxy
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.caBundlePath = caBundlePath
        self.maxResponseBytes = maxResponseBytes
    }
}
