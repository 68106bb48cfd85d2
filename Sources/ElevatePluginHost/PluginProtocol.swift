#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCore

/// The JSON messages between aws-elevate and a process plugin (plugins/README.md): one request object on the
/// plugin's standard input, one answer object on its standard output.
public enum PluginProtocol {
    /// The version this build speaks; a request carries it, and the answer must carry the same.
    public static let version = 1

    /// Profile settings never sent, nor part of a cache key: static keys are long-term secrets that a profile using a
    /// plugin does not need (an elevation gets its input credentials in `credentials`).
    package static let withheldSettings: Set<String> = [
        "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
    ]

    /// What a plugin is asked for one step.
    package struct Request: Encodable {
        var `protocol` = PluginProtocol.version
        var kind: String
        var plugin: String
        var profile: String
        /// Every plain setting of the profile, by its name, except ``withheldSettings``.
        var settings: [String: String]
        /// Every setting that holds indented lines (`s3 =` and its lines), by its name.
        var sections: [String: [String: String]]
        var region: String?
        /// Elevation only: the hop's number, from 1.
        var hop: Int?
        /// Elevation only: the credentials of the step before.
        var credentials: CredentialFields?

        /// The profile's settings as a request sends them.
        package init(
            kind: PluginKind, plugin: String, profile: Profile, region: String?, hop: Int?, input: Credentials?
        ) {
            self.kind = kind.rawValue
            self.plugin = plugin
            self.profile = profile.name
            settings = profile.values.filter { !withheldSettings.contains($0.key) }
            sections = profile.sections.filter { !withheldSettings.contains($0.key) }
            self.region = region
            self.hop = hop
            credentials = input.map(CredentialFields.init)
        }

        /// The request as UTF-8 JSON with sorted keys, and a final line break.
        package func encoded() -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // Strings and integers only: encoding cannot fail.
            return ((try? encoder.encode(self)).map { Array($0) } ?? []) + [UInt8(ascii: "\n")]
        }
    }

    private struct Answer: Decodable {
        var `protocol`: Int?
        var credentials: CredentialFields?
    }

    /// The credentials of an answer, or why it is not a usable one (never quoting it: it may hold a secret).
    package static func credentials(fromAnswer bytes: [UInt8]) -> Result<Credentials, CredentialFields.Invalid> {
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            return .failure(.init("its answer is not a JSON object of the plugin protocol"))
        }
        guard let version = answer.protocol else {
            return .failure(.init("its answer has no \"protocol\" (this aws-elevate speaks protocol \(version))"))
        }
        guard version == Self.version else {
            return .failure(
                .init("it answered in protocol \(version); this aws-elevate speaks protocol \(Self.version)"))
        }
        guard let fields = answer.credentials else {
            return .failure(.init("its answer has no \"credentials\" object"))
        }
        return fields.credentials()
    }
}
