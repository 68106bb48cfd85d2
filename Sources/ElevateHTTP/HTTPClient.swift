import CCurl

/// Sends HTTP requests through libcurl, which is loaded on the first request only: building a
/// client, a request or options never maps libcurl into the process.
public struct HTTPClient: Sendable {
    /// Creates a client. It holds no state; every request uses its own connection.
    public init() {}

    /// Whether a libcurl (of any flavour) is mapped into this process, read from `/proc/self/maps`.
    /// False until the first ``send(_:options:)`` unless something else loaded it.
    public static var isLibraryLoaded: Bool {
        ccurl_library_is_mapped() != 0
    }

    /// Sends `request` and waits for the whole response. Blocks the calling thread for at most
    /// about ``HTTPOptions/timeoutMilliseconds``.
    ///
    /// Any status code, redirects included, is returned as a response. TLS certificates and host
    /// names are always verified: against ``HTTPOptions/caBundlePath`` alone when it is set, else
    /// against the system's CAs.
    public func send(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        let parts = URLParts(request.url)
        try Self.validate(request, parts: parts, options: options)
        if let reason = ccurl_load() {
            throw .libraryUnavailable(reason: String(cString: reason))
        }
        guard let handle = ccurl_easy_init() else {
            throw .libraryUnavailable(reason: "curl_easy_init failed")
        }
        let transfer = Transfer(handle: handle, host: parts.hostAndPort, limit: options.maxResponseBytes)
        return try transfer.run(request, options: options)
    }

    private static func validate(_ request: HTTPRequest, parts: URLParts, options: HTTPOptions) throws(HTTPError) {
        guard parts.scheme != nil, !parts.hostAndPort.isEmpty else {
            throw .invalidRequest(reason: "the URL must be absolute, with scheme 'http' or 'https'")
        }
        guard !request.url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .invalidRequest(reason: "the URL contains spaces or control characters")
        }
        guard !request.method.rawValue.isEmpty, request.method.rawValue.utf8.allSatisfy(isTokenByte) else {
            throw .invalidRequest(reason: "the method is not an HTTP token")
        }
        if request.method == .head, !request.body.isEmpty {
            throw .invalidRequest(reason: "a HEAD request cannot have a body")
        }
        for field in request.headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(isTokenByte) else {
                throw .invalidRequest(reason: "a header name is not an HTTP token")
            }
            // Header values carry secrets: name the field, never its value.
            guard field.value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .invalidRequest(reason: "the value of header '\(field.name)' contains control characters")
            }
        }
        guard options.connectTimeoutMilliseconds > 0, options.timeoutMilliseconds > 0 else {
            throw .invalidRequest(reason: "timeouts must be above zero")
        }
        guard options.maxResponseBytes > 0 else {
            throw .invalidRequest(reason: "the response size limit must be above zero")
        }
        if let path = options.caBundlePath, path.isEmpty || path.utf8.contains(0) {
            throw .invalidRequest(reason: "the CA bundle path is empty or contains a NUL byte")
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// One transfer on one easy handle, which it owns: the handle holds a pointer to the transfer for
/// the callbacks, so both end together.
private final class Transfer {
    let handle: UnsafeMutableRawPointer
    let host: String
    let limit: Int
    var body: [UInt8] = []
    var headers = HTTPHeaders()
    var headerBytes = 0
    var exceeded = false

    init(handle: UnsafeMutableRawPointer, host: String, limit: Int) {
        self.handle = handle
        self.host = host
        self.limit = limit
    }

    deinit {
        ccurl_easy_cleanup(handle)
    }

    func run(_ request: HTTPRequest, options: HTTPOptions) throws(HTTPError) -> HTTPResponse {
        var fieldLines = request.headers.map { field in
            // libcurl sends "Name:" as "remove this header"; "Name;" sends it empty.
            field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
        }
        // Only what the caller asked for: no 100-continue round trip, no default form content type.
        if !request.headers.contains("Expect") { fieldLines.append("Expect:") }
        if !request.headers.contains("Content-Type") { fieldLines.append("Content-Type:") }
        var list: UnsafeMutablePointer<curl_slist>?
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer {
            // The handle keeps both pointers until it is cleaned up: clear them before freeing.
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)
            ccurl_slist_free_all(list)
            errorBuffer.deallocate()
        }
        for line in fieldLines {
            guard let extended = ccurl_slist_append(list, line) else {
                throw .invalidRequest(reason: "out of memory building the header list")
            }
            list = extended
        }

        try check(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
        try check(ccurl_restrict_protocols_to_http(handle))
        try check(ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        try check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        try check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        try check(ccurl_setopt_long(handle, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2))
        try check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds))
        try check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds))
        try check(ccurl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxResponseBytes)))
        if let path = options.caBundlePath {
            try check(ccurl_setopt_string(handle, CURLOPT_CAINFO, path))
            // The bundle replaces the system's CAs, as in botocore: libcurl would otherwise still trust its built-in
            // CA directory (/etc/ssl/certs on Debian) beside the file. A TLS backend without CA directories has
            // none to clear.
            let cleared = ccurl_setopt_string(handle, CURLOPT_CAPATH, nil)
            if cleared != CURLE_NOT_BUILT_IN, cleared != CURLE_UNKNOWN_OPTION {
                try check(cleared)
            }
        }
        if options.proxy == .none {
            // An empty string disables proxies even when the environment names one.
            try check(ccurl_setopt_string(handle, CURLOPT_PROXY, ""))
        }
        try check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, list))
        try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try setMethodAndBody(request)

        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(ccurl_setopt_write_function(handle) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveBody(data, size: size, count: count)
        })
        try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(ccurl_setopt_header_function(handle) { data, size, count, context in
            guard let context else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeader(data, size: size, count: count)
        })
        try check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))

        let code = withExtendedLifetime(self) { ccurl_easy_perform(handle) }
        guard code == CURLE_OK else {
            throw error(for: code, detail: String(cString: errorBuffer))
        }
        var status = 0
        try check(ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    private func setMethodAndBody(_ request: HTTPRequest) throws(HTTPError) {
        switch request.method {
        case .head:
            try check(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
            return
        case .get where request.body.isEmpty:
            try check(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
            return
        default:
            break
        }
        // The size first: without it libcurl would take the body for a C string.
        try check(ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        let code = request.body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS copies now, so the bytes need not outlive this call.
            "".withCString { empty in
                ccurl_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(empty))
                )
            }
        }
        try check(code)
        if request.method != .post {
            try check(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        }
    }

    private func check(_ code: CURLcode) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw .invalidRequest(reason: "libcurl rejected an option: \(String(cString: ccurl_easy_strerror(code)))")
        }
    }

    func receiveBody(_ data: UnsafeMutablePointer<CChar>?, size: Int, count: Int) -> Int {
        let (total, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow else { return 0 }
        guard total > 0, let data else { return total }
        guard total <= limit - body.count else {
            exceeded = true
            return 0  // anything but `total` makes libcurl abort with CURLE_WRITE_ERROR
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: total))
        return total
    }

    func receiveHeader(_ data: UnsafeMutablePointer<CChar>?, size: Int, count: Int) -> Int {
        let (total, overflow) = size.multipliedReportingOverflow(by: count)
        guard !overflow else { return 0 }
        guard total > 0, let data else { return total }
        headerBytes += total
        guard headerBytes <= limit else {
            exceeded = true
            return 0
        }
        var line = Array(UnsafeRawBufferPointer(start: data, count: total))
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            line.removeLast()
        }
        if line.starts(with: "HTTP/".utf8) {
            // A new status line: interim (1xx) or proxy CONNECT responses are forgotten.
            headers = HTTPHeaders()
        } else if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // An obsolete folded continuation of the previous field.
            if var last = headers.fields.last {
                last.value += " " + Self.trimmed(line[...])
                var fields = headers.fields
                fields[fields.count - 1] = last
                headers = HTTPHeaders(fields)
            }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: line[..<colon], as: UTF8.self)
            headers.add(name: name, value: Self.trimmed(line[(colon + 1)...]))
        }
        return total
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return String(decoding: slice, as: UTF8.self)
    }

    private func error(for code: CURLcode, detail rawDetail: String) -> HTTPError {
        let detail = rawDetail.isEmpty ? String(cString: ccurl_easy_strerror(code)) : rawDetail
        if exceeded || code == CURLE_FILESIZE_EXCEEDED {
            return .responseTooLarge(host: host, limit: limit)
        }
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidRequest(reason: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .cannotResolveHost(host: host, detail: detail)
        case CURLE_COULDNT_CONNECT, CURLE_PROXY:
            return .connectFailed(host: host, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            var connectMicroseconds: curl_off_t = 0
            let connected = ccurl_getinfo_off_t(handle, CURLINFO_CONNECT_TIME_T, &connectMicroseconds) == CURLE_OK
                && connectMicroseconds > 0
            return .timedOut(host: host, duringConnect: !connected, detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tlsFailed(host: host, detail: detail)
        default:
            return .transferFailed(host: host, code: Int(code.rawValue), detail: detail)
        }
    }
}
