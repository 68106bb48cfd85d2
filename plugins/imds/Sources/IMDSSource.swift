#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import ElevateCore
import ElevateHTTP

/// Source plugin `imds`: the instance role from the EC2 instance metadata service, for
/// `credential_source = Ec2InstanceMetadata`.
///
/// IMDSv2 only, unless the user allows IMDSv1 (`AWS_ELEVATE_IMDS_V1=allow` or `elevate_imds_v1 = allow`) and
/// `AWS_EC2_METADATA_V1_DISABLED` is not `true`: botocore's silent downgrade to v1 is an SSRF risk.
public struct IMDSSource: SourcePlugin {
    public let name = "imds"
    public let summary = "the instance role from the EC2 instance metadata service (IMDSv2; v1 only when allowed)"
    /// `credential_source = Ec2InstanceMetadata`.
    public var selection: SourceSelection { SourceSelection(credentialSource: "Ec2InstanceMetadata") }

    /// The files naming this machine and instance, which key cached sessions to it.
    public let identityFiles: IdentityFiles

    public init() {
        self.init(identityFiles: .system)
    }

    /// The plugin reading the machine's identity from other files (tests).
    public init(identityFiles: IdentityFiles) {
        self.identityFiles = identityFiles
    }

    /// The service's settings from the environment and the step's profile (``IMDSSettings``).
    public func settings(for step: Step, context: RunContext) throws(IMDSSourceError) -> IMDSSettings {
        try IMDSSettings(environment: context.environment, profile: step.profile)
    }

    /// The instance role's credentials with the instance id and region. Never `nil`: the plan names this source
    /// only when the profile asks for the instance role, so a disabled or failing service is an error.
    public func credentials(for step: Step, settings: IMDSSettings, context: RunContext) async throws -> Credentials? {
        try fetch(settings, context: context)
    }

    /// The service's settings and what names this instance without a request: the instance identity Linux exposes
    /// (``IdentityFiles/boardAssetTag``, else ``IdentityFiles/hypervisorUUID``) and the machine id, each where
    /// readable. `nil` when neither identity can be read.
    ///
    /// The machine id alone is shared by instances cloned from an image that kept it; the instance identity sets
    /// them apart. This runs on every cache hit: a few small reads, no request and no library load.
    public func cacheIdentity(for step: Step, settings: IMDSSettings, context: RunContext) -> [String: String]? {
        let instance = readInstanceIdentity(identityFiles, context: context)
        let machineId = readMachineId(identityFiles.machineId)
        guard instance != nil || machineId != nil else {
            context.logger.debug(
                "imds: no instance identity and no machine id in '\(identityFiles.machineId)': sessions are not cached")
            return nil
        }
        let v1: String
        switch settings.v1Fallback {
        case .notAllowed: v1 = "not-allowed"
        case .allowed: v1 = "allowed"
        case .disabled: v1 = "disabled"
        }
        var parts = ["endpoint": settings.endpoint, "v1": v1]
        parts["machine_id"] = machineId
        parts["instance"] = instance
        return parts
    }

    /// The instance role's credentials from the service `settings` describe; debug lines go to `context.logger`.
    public func fetch(_ settings: IMDSSettings, context: RunContext) throws(IMDSSourceError) -> Credentials {
        var exchange = Exchange(settings: settings, context: context)
        return try exchange.credentials()
    }
}

extension IMDSSource {
    /// Whether the service `settings` describe hands out an IMDSv2 token: one request, one attempt, within the
    /// settings' timeout. For `aws-elevate doctor`; it reads nothing of the instance.
    package func probe(_ settings: IMDSSettings, context: RunContext) throws(IMDSSourceError) {
        var once = settings
        once.attempts = 1
        once.v1Fallback = .notAllowed
        _ = try Exchange(settings: once, context: context).openSession()
    }
}

/// Where the imds source reads, without a request, what names the machine and the instance it runs on.
public struct IdentityFiles: Sendable, Equatable {
    /// systemd's machine id (`/etc/machine-id`): shared by instances cloned from an image that kept it.
    public var machineId: String
    /// The DMI board asset tag, which holds the instance id (`i-…`) on Nitro instances.
    public var boardAssetTag: String
    /// The Xen domain's UUID, unique to the instance on Xen instances.
    public var hypervisorUUID: String

    /// The files of a Linux system.
    public static let system = IdentityFiles(
        machineId: "/etc/machine-id", boardAssetTag: "/sys/devices/virtual/dmi/id/board_asset_tag",
        hypervisorUUID: "/sys/hypervisor/uuid")

    /// The files at these paths.
    public init(machineId: String, boardAssetTag: String, hypervisorUUID: String) {
        self.machineId = machineId
        self.boardAssetTag = boardAssetTag
        self.hypervisorUUID = hypervisorUUID
    }
}

/// The instance id from the board asset tag, else the Xen domain UUID; `nil` when neither file holds a value of
/// that shape (other machines put anything in the asset tag, such as "Default string").
private func readInstanceIdentity(_ files: IdentityFiles, context: RunContext) -> String? {
    if let tag = readSmallFile(files.boardAssetTag) {
        if isInstanceId(tag) { return String(decoding: tag, as: UTF8.self) }
        context.logger.debug("imds: the board asset tag in '\(files.boardAssetTag)' is not an instance id")
    }
    if let uuid = readSmallFile(files.hypervisorUUID) {
        if isUUID(uuid) { return String(decoding: uuid, as: UTF8.self) }
        context.logger.debug("imds: '\(files.hypervisorUUID)' does not hold a UUID")
    }
    return nil
}

/// The first line of `path` (systemd's machine id, 32 hex digits), `nil` when it cannot be read or is empty.
private func readMachineId(_ path: String) -> String? {
    guard let bytes = readSmallFile(path) else { return nil }
    let line = trimmingWhitespace(String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self))
    return line.isEmpty ? nil : line
}

/// The bytes of the regular file at `path` without trailing white space (sysfs values end in a line break); `nil`
/// when it cannot be opened, is not a regular file, is empty or is larger than `limit` bytes, which none of the
/// identity files is.
private func readSmallFile(_ path: String, limit: Int = 256) -> [UInt8]? {
    // O_NONBLOCK: a FIFO put in a file's place must not stop the run.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    // sysfs files report a size of a page whatever they hold; readAll caps the buffer at the limit.
    guard case .bytes(var bytes) = readAll(fd: fd, sizeHint: Int(info.st_size), limit: limit) else { return nil }
    while let last = bytes.last, last == 0x20 || (0x09...0x0D).contains(last) { bytes.removeLast() }
    return bytes.isEmpty ? nil : bytes
}

/// `i-` and 8 or 17 lower-case hexadecimal digits: the instance ids EC2 issues.
private func isInstanceId(_ bytes: [UInt8]) -> Bool {
    guard bytes.count == 10 || bytes.count == 19, bytes[0] == UInt8(ascii: "i"), bytes[1] == UInt8(ascii: "-")
    else { return false }
    return bytes[2...].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}

/// A UUID in its text form: 8-4-4-4-12 hexadecimal digits.
private func isUUID(_ bytes: [UInt8]) -> Bool {
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
        if index == 8 || index == 13 || index == 18 || index == 23 {
            guard byte == UInt8(ascii: "-") else { return false }
        } else {
            guard (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte)
            else { return false }
        }
    }
    return true
}

private let tokenPath = "/latest/api/token"
private let rolesPath = "/latest/meta-data/iam/security-credentials/"
private let instanceIdPath = "/latest/meta-data/instance-id"
private let regionPath = "/latest/meta-data/placement/region"
private let tokenTTLSeconds = "21600"
/// IMDS answers are a few hundred bytes; anything near this is not the metadata service.
private let maxResponseBytes = 64 * 1024

/// One conversation with the service: a session (token or v1), then the requests.
package struct Exchange {
    enum Session {
        case v2(token: String)
        /// Requests without a token; `reason` is why the token request failed.
        case v1(reason: String)
    }

    let settings: IMDSSettings
    let context: RunContext
    let client = HTTPClient()
    var session: Session? = nil

    package init(settings: IMDSSettings, context: RunContext) {
        self.settings = settings
        self.context = context
    }

    var endpoint: String { settings.endpoint }

    var options: HTTPOptions {
        // Never a proxy: the metadata service must be reached directly, and a proxy would see the token.
        HTTPOptions(
            proxy: .none,
            connectTimeoutMilliseconds: settings.timeoutMilliseconds,
            timeoutMilliseconds: settings.timeoutMilliseconds,
            maxResponseBytes: maxResponseBytes
        )
    }

    mutating func credentials() throws(IMDSSourceError) -> Credentials {
        let attemptsText = settings.attempts == 1 ? "1 attempt" : "\(settings.attempts) attempts"
        context.logger.debug(
            "imds: endpoint '\(endpoint)', timeout \(settings.timeoutText), \(attemptsText) per request")
        session = try openSession()

        let listing = try get(rolesPath)
        let role = try roleName(listing)
        context.logger.debug("imds: role '\(role)'")
        let document = try get(rolesPath + role)
        guard document.status == 200 else {
            throw .unexpectedStatus(endpoint: endpoint, path: rolesPath + role, status: document.status)
        }
        var credentials = try parse(document.body, role: role)

        let instanceId = try fact(instanceIdPath, what: "an instance id")
        let region = try fact(regionPath, what: "a region name")
        credentials.machine = MachineFacts(instanceId: instanceId, region: region)
        let expiry = credentials.expiration.map(Timestamp.format) ?? "never"
        let facts = "instance \(instanceId ?? "unknown"), region \(region ?? "unknown")"
        context.logger.debug("imds: key \(credentials.maskedAccessKeyId), expires \(expiry), \(facts)")
        return credentials
    }

    /// A token, or IMDSv1 when the token request failed in a way botocore falls back on and the user allowed it.
    func openSession() throws(IMDSSourceError) -> Session {
        let request = HTTPRequest(
            method: .put, url: endpoint + tokenPath,
            headers: ["X-aws-ec2-metadata-token-ttl-seconds": tokenTTLSeconds]
        )
        let reason: String
        switch send(request, path: tokenPath) {
        case .success(let response) where response.status == 200:
            let token = trimmingWhitespace(String(decoding: response.body, as: UTF8.self))
            // The token goes into a header: only visible ASCII can be sent back safely.
            guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw .invalidResponse(endpoint: endpoint, path: tokenPath, detail: "an empty or malformed token")
            }
            context.logger.debug("imds: IMDSv2 token obtained")
            return .v2(token: token)
        case .success(let response) where [403, 404, 405].contains(response.status) || response.status >= 500:
            reason = "status \(response.status)"
        case .success(let response):
            throw .unexpectedStatus(endpoint: endpoint, path: tokenPath, status: response.status)
        case .failure(let error) where error.isTransient:
            reason = describe(error)
        case .failure(let error):
            throw .requestFailed(endpoint: endpoint, path: tokenPath, detail: error.description)
        }
        switch settings.v1Fallback {
        case .allowed(let name):
            context.logger.debug("imds: IMDSv2 token request failed (\(reason)); using IMDSv1 as \(name) allows")
            return .v1(reason: reason)
        case .notAllowed, .disabled:
            throw .tokenFailed(endpoint: endpoint, reason: reason, v1: settings.v1Fallback)
        }
    }

    /// A GET answered 200 or 404 (the caller decides what a 404 means). A 401 means the token expired: one new
    /// token and one more try.
    mutating func get(_ path: String) throws(IMDSSourceError) -> HTTPResponse {
        var refreshed = false
        while true {
            var headers = HTTPHeaders()
            if case .v2(let token) = session {
                headers.add(name: "X-aws-ec2-metadata-token", value: token)
            }
            let request = HTTPRequest(method: .get, url: endpoint + path, headers: headers)
            let response: HTTPResponse
            switch send(request, path: path) {
            case .success(let answer): response = answer
            case .failure(let error): throw failure(error, path: path)
            }
            switch response.status {
            case 200, 404:
                return response
            case 401:
                switch session {
                case .v1(let reason)?:
                    throw .v1Refused(endpoint: endpoint, tokenFailure: reason)
                case .v2?, nil:
                    if refreshed { throw .tokenRejected(endpoint: endpoint, path: path) }
                    context.logger.debug("imds: '\(path)' got 401, the token expired; fetching a new one")
                    session = try openSession()
                    refreshed = true
                }
            default:
                throw .unexpectedStatus(endpoint: endpoint, path: path, status: response.status)
            }
        }
    }

    /// Sends `request` up to `settings.attempts` times while it fails transiently (network trouble or a 5xx).
    func send(_ request: HTTPRequest, path: String) -> Result<HTTPResponse, HTTPError> {
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, HTTPError>
            do {
                outcome = .success(try client.send(request, options: options))
            } catch {
                outcome = .failure(error)
            }
            let transient: Bool
            switch outcome {
            case .success(let response): transient = response.status >= 500
            case .failure(let error): transient = error.isTransient
            }
            guard transient, attempt < settings.attempts else { return outcome }
            let what = (try? outcome.get()).map { "status \($0.status)" } ?? "no answer"
            context.logger.debug(
                "imds: \(request.method) '\(path)' attempt \(attempt) of \(settings.attempts): \(what)")
            attempt += 1
        }
    }

    func failure(_ error: HTTPError, path: String) -> IMDSSourceError {
        switch error {
        case .timedOut:
            .timedOut(endpoint: endpoint, path: path, timeout: settings.timeoutText, attempts: settings.attempts)
        case .connectFailed(_, let detail), .cannotResolveHost(_, let detail):
            .unreachable(endpoint: endpoint, detail: detail)
        default:
            .requestFailed(endpoint: endpoint, path: path, detail: error.description)
        }
    }

    func describe(_ error: HTTPError) -> String {
        let tries = settings.attempts == 1 ? "" : " (\(settings.attempts) attempts)"
        switch error {
        case .timedOut: return "no answer within \(settings.timeoutText)\(tries)"
        default: return error.description + tries
        }
    }

    /// The first line of the role listing, which must be an IAM role name (it becomes part of the next path).
    package func roleName(_ listing: HTTPResponse) throws(IMDSSourceError) -> String {
        guard listing.status == 200 else { throw .noRole(endpoint: endpoint) }
        let text = String(decoding: listing.body, as: UTF8.self)
        // Character-level splitting is exact here: a line break never joins a following mark into one Character,
        // and the name must then be ASCII scalars, whose Characters are scalars.
        let first = trimmingWhitespace(String(text.split(whereSeparator: \.isNewline).first ?? ""))
        guard !first.isEmpty else { throw .noRole(endpoint: endpoint) }
        guard first.count <= 64, first.unicodeScalars.allSatisfy(isRoleNameScalar) else {
            throw .invalidResponse(endpoint: endpoint, path: rolesPath, detail: "\(quoted(first)), not a role name")
        }
        return first
    }

    /// The credentials document of `role`; errors name fields, never their values.
    package func parse(_ body: [UInt8], role: String) throws(IMDSSourceError) -> Credentials {
        let fields: [String: JSONField]
        do {
            fields = try JSONDecoder().decode([String: JSONField].self, from: Data(body))
        } catch {
            throw .malformedCredentials(endpoint: endpoint, role: role)
        }
        func text(_ field: String) throws(IMDSSourceError) -> String {
            switch fields[field] {
            case nil: throw .missingField(endpoint: endpoint, role: role, field: field)
            case .string(let value)? where !value.isEmpty: return value
            case .string?, .other?: throw .invalidField(endpoint: endpoint, role: role, field: field)
            }
        }
        let code = try text("Code")
        guard code == "Success" else {
            var message: String? = nil
            if case .string(let value)? = fields["Message"], !value.isEmpty { message = value }
            throw .notSuccess(endpoint: endpoint, role: role, code: code, message: message)
        }
        let keyId = try text("AccessKeyId")
        let secret = try text("SecretAccessKey")
        let token = try text("Token")
        let expirationText = try text("Expiration")
        guard let expiration = Timestamp.parse(expirationText) else {
            throw .badExpiration(endpoint: endpoint, role: role, value: expirationText)
        }
        // No account id here, so no reliable principal ARN: later hops learn it from STS.
        return Credentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration, origin: .role
        )
    }

    /// The instance id or region; `nil` when the service does not have it (404).
    mutating func fact(_ path: String, what: String) throws(IMDSSourceError) -> String? {
        let response = try get(path)
        guard response.status == 200 else {
            context.logger.debug("imds: '\(path)' is not available (status \(response.status))")
            return nil
        }
        let value = trimmingWhitespace(String(decoding: response.body, as: UTF8.self))
        guard (1...64).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || isAlphanumeric($0) })
        else {
            throw .invalidResponse(endpoint: endpoint, path: path, detail: "\(quoted(value)), not \(what)")
        }
        return value
    }
}

/// A JSON value that is a string or anything else, so that a wrong type names its field instead of failing
/// the whole document.
private enum JSONField: Decodable {
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .other
        }
    }
}

/// IAM role names: letters, digits and `+=,.@_-`.
private func isRoleNameScalar(_ scalar: Unicode.Scalar) -> Bool {
    scalar.isASCII && (isAlphanumeric(UInt8(scalar.value)) || "+=,.@_-".unicodeScalars.contains(scalar))
}

private func isAlphanumeric(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}
