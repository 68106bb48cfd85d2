#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCache
import ElevateCommands
import ElevateConfig
import ElevateCore
import ElevateHTTP
import ElevatePluginHost
import ElevateSTS
import Logging
import IMDSSource
import ProcessSource
import SSOSource

/// The parsers of hostile input, each as a function of arbitrary bytes that must return (never crash, hang or
/// leak) and keep the property its case names; a broken property stops the process, which libFuzzer reports.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `~/.aws/config` text: parsed as botocore would, then every profile resolved to a plan or an error.
    case ini
    /// A `credential_process` program's output; accepted credentials that keep the rules give `env` text back.
    case credentialDocument = "credential-document"
    /// An STS AssumeRole, GetCallerIdentity or error response body.
    case stsXML = "sts-xml"
    /// An instance metadata answer: a role listing, then a role's credentials document.
    case imds
    /// A cache entry payload (file or keyring item): anything accepted encodes back to the same bytes.
    case cacheEntry = "cache-entry"
    /// Shell quoting: the quoted text, read with the POSIX single-quote rules, gives the input back.
    case shellQuote = "shell-quote"
    /// A process plugin's answer; and the same bytes as a setting's value, which the request must carry exactly.
    case pluginAnswer = "plugin-answer"
    /// An AWS CLI SSO token cache file, then a GetRoleCredentials answer; an accepted token's text fields are
    /// written back as botocore writes them and read back unchanged.
    case ssoToken = "sso-token"

    /// Runs one input.
    public func run(_ bytes: [UInt8]) {
        switch self {
        case .ini: Self.ini(bytes)
        case .credentialDocument: Self.credentialDocument(bytes)
        case .stsXML: Self.stsXML(bytes)
        case .imds: Self.imds(bytes)
        case .cacheEntry: Self.cacheEntry(bytes)
        case .shellQuote: Self.shellQuote(bytes)
        case .pluginAnswer: Self.pluginAnswer(bytes)
        case .ssoToken: Self.ssoToken(bytes)
        }
    }

    static func ini(_ bytes: [UInt8]) {
        let files = ConfigFiles(configPath: "/fuzz/config", credentialsPath: "/fuzz/credentials")
        if let difference = INIFileAgreement.difference(bytes) { fail("indexed and whole parses differ: \(difference)") }
        // The same bytes as either file: the credentials file names profiles without the `profile ` prefix.
        for (config, credentials) in [(bytes, nil), (nil, bytes)] as [([UInt8]?, [UInt8]?)] {
            guard let parsed = try? AWSConfig.build(config: config, credentials: credentials, files: files) else {
                continue
            }
            let resolver = ProfileResolver(
                config: parsed, registry: BuiltinPlugins.registry(), environment: [:], isSelf: { _ in false })
            for name in parsed.profiles.keys.sorted() {
                if let plan = try? resolver.plan(for: name) {
                    check(plan.hops.count <= parsed.profiles.count + 1, "a plan with more hops than profiles")
                }
            }
        }
    }

    static func credentialDocument(_ bytes: [UInt8]) {
        guard let credentials = try? ProcessDocument.credentials(from: bytes, program: "fuzz"),
            CredentialRules.violation(in: credentials) == nil
        else { return }
        check(!credentials.accessKeyId.isEmpty && !credentials.secretAccessKey.isEmpty, "empty keys accepted")
        for value in [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? "x"] {
            guard let quoted = ElevateCore.shellQuote(value) else { fail("a valid credential is not quotable") }
            check(unquote(quoted) == Array(value.utf8), "quoting does not give the value back")
        }
    }

    static func stsXML(_ bytes: [UInt8]) {
        if let credentials = try? STSResponse.assumedRole(bytes) {
            check(!credentials.accessKeyId.isEmpty, "an empty key id accepted")
            _ = CredentialRules.violation(in: credentials)
        }
        _ = try? STSResponse.callerIdentity(bytes)
        if let error = STSResponse.serviceError(bytes) {
            let message = STSClient.clean(error.message, secrets: ["SECRET"])
            check(!message.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), "a control byte in a message")
        }
    }

    static func imds(_ bytes: [UInt8]) {
        let context = RunContext(environment: [:], logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() })
        let exchange = Exchange(settings: IMDSSettings(endpoint: "http://127.0.0.1:9"), context: context)
        if let role = try? exchange.roleName(HTTPResponse(status: 200, body: bytes)) {
            check(!role.isEmpty && role.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), "a role name outside ASCII")
        }
        if let credentials = try? exchange.parse(bytes, role: "fuzz") {
            check(credentials.expiration != nil, "IMDS credentials without an expiration")
            _ = CredentialRules.violation(in: credentials)
        }
    }

    static func cacheEntry(_ bytes: [UInt8]) {
        guard let entry = EntryCodec.decode(bytes) else { return }
        check(CredentialRules.violation(in: entry.credentials) == nil, "a decoded entry breaks the rules")
        check(EntryCodec.encode(entry) == bytes, "a decoded entry does not encode back to its bytes")
    }

    static func pluginAnswer(_ bytes: [UInt8]) {
        switch PluginProtocol.credentials(fromAnswer: bytes) {
        case .success(let credentials):
            check(!credentials.accessKeyId.isEmpty && !credentials.secretAccessKey.isEmpty, "empty keys accepted")
        case .failure(let invalid):
            check(!invalid.reason.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }), "a control byte in a reason")
        }
        struct Sent: Decodable {
            var settings: [String: String]
            var profile: String
        }
        let value = String(decoding: bytes, as: UTF8.self)
        var values = ["setting": value]
        values[value] = "key"
        let profile = Profile(name: value, values: values)
        let request = PluginProtocol.Request(
            kind: .source, plugin: "fuzz", profile: profile, region: nil, hop: nil, input: nil)
        guard let sent = try? JSONDecoder().decode(Sent.self, from: Data(request.encoded())) else {
            fail("a request is not JSON")
        }
        let expected = profile.values.filter { !PluginProtocol.withheldSettings.contains($0.key) }
        check(sent.profile == value && sent.settings == expected, "a request does not carry the profile exactly")
    }

    static func ssoToken(_ bytes: [UInt8]) {
        let login = SSOLogin(form: .session("fuzz"), profile: "fuzz")
        if let token = try? SSOTokenCache.parse(bytes, path: "/fuzz/token.json", login: login) {
            check(!token.accessToken.isEmpty, "an empty access token accepted")
            check(token.accessToken.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }), "a control byte in a token")
            let fields = token.text.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { ($0.key, $0.value) }
            let written = SSOTokenCache.document(fields)
            check(written.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), "a written token file that is not printable ASCII")
            let read = try? JSONDecoder().decode([String: String].self, from: Data(written))
            check(read == token.text, "a written token file does not read back")
        }
        let endpoint = STSEndpoint(url: "http://127.0.0.1:9", source: "fuzz")!
        if let credentials = try? SSOClient.parseRoleCredentials(bytes, endpoint: endpoint) {
            check(CredentialRules.violation(in: credentials) == nil, "role credentials that break the rules")
        }
    }

    static func shellQuote(_ bytes: [UInt8]) {
        let value = String(decoding: bytes, as: UTF8.self)
        guard let quoted = ElevateCore.shellQuote(value) else {
            check(value.utf8.contains(0), "a value without NUL was refused")
            return
        }
        check(!value.utf8.contains(0), "a NUL byte was quoted")
        check(unquote(quoted) == Array(value.utf8), "quoting does not give the value back")
    }

    /// The bytes a POSIX shell makes of a word built only of single-quoted strings and `\'`; `nil` for any other
    /// word. Inside single quotes every byte is literal up to the next 0x27; outside, only `\'` and `'` may occur,
    /// so anything else (a space, `$`, `;`) is a byte the shell would interpret: the quoting failed.
    static func unquote(_ text: String) -> [UInt8]? {
        var result: [UInt8] = []
        var inside = false
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if inside {
                if byte == 0x27 { inside = false } else { result.append(byte) }
            } else if byte == 0x27 {
                inside = true
            } else if byte == 0x5C, iterator.next() == 0x27 {
                result.append(0x27)
            } else {
                return nil
            }
        }
        return inside ? nil : result
    }

    static func check(_ condition: Bool, _ property: String) {
        if !condition { fail(property) }
    }

    static func fail(_ property: String) -> Never {
        fatalError("fuzz property broken: \(property)")
    }
}
