#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ElevateCache
import ElevateConfig
import ElevateCore

/// What `aws-elevate explain` shows: a resolved plan, each step's settings with the file and line they came from,
/// and what the session cache would do. Every value is already masked and fit for one line.
struct Explanation: Equatable {
    /// One profile setting of a step.
    struct Setting: Equatable {
        var key: String
        /// The value with access key ids masked; `nil` when it is a secret, which is never shown.
        var value: String?
        /// `path:line`, or `nil` when no file sets it.
        var location: FileLocation?
    }

    /// The source or one hop.
    struct Step: Equatable {
        /// `source`, `hop 1`, ….
        var role: String
        var plugin: String
        var profile: String
        var settings: [Setting]
        /// The step's cache-identity parts that have a value (masked, `nil` for a secret), `nil` when it declares
        /// none.
        var identity: [(name: String, value: String?)]?

        static func == (left: Step, right: Step) -> Bool {
            left.role == right.role && left.plugin == right.plugin && left.profile == right.profile
                && left.settings == right.settings
                && left.identity?.map { [$0.name, $0.value] } == right.identity?.map { [$0.name, $0.value] }
        }
    }

    /// What the session cache would do.
    struct Cache: Equatable {
        /// `auto (default)`, `file (AWS_ELEVATE_CACHE)`.
        var mode: String
        /// The full key digest, when the plan is cached.
        var digest: String?
        /// Why the plan is not cached, when it is not.
        var notCached: String?
        /// `file`, `keyring`, or `nil` (served uncached).
        var backend: String?
        var why: String
        var entryFile: String?
        var expiration: Date?
        var secondsLeft: TimeInterval?
        var refreshMargin: TimeInterval?
        var isFresh: Bool
        var notes: [String]
        /// A cache error a run would stop with (problem — remedy).
        var failure: String?
    }

    var profile: String
    var plan: String
    var steps: [Step]
    /// The run's `AWS_*` variables (masked like settings): where botocore and the plugins read a value from the
    /// environment before the files, these win.
    var environment: [Setting]
    var cache: Cache

    init(profile: String, plan: String, steps: [Step], environment: [Setting] = [], cache: Cache) {
        self.profile = profile
        self.plan = plan
        self.steps = steps
        self.environment = environment
        self.cache = cache
    }

    /// The explanation of `plan`, resolved from `config`: settings located in its files, `preview` from the cache.
    init(plan: BoundPlan, config: AWSConfig, context: RunContext, preview: Result<CachePreview, CacheError>) {
        func settings(of profile: Profile) -> [Setting] {
            var settings: [Setting] = []
            for (key, value) in profile.values {
                settings.append(
                    Setting(
                        key: key, value: Masking.mask(key: key, value: value),
                        location: config.location(of: key, in: profile.name)))
            }
            for (key, nested) in profile.sections {
                let location = config.location(of: key, in: profile.name)
                for (subkey, value) in nested {
                    settings.append(
                        Setting(
                            key: key + "." + subkey, value: Masking.mask(key: subkey, value: value),
                            location: location))
                }
            }
            return settings.sorted(by: Self.fileOrder)
        }
        func identity(_ parts: [String: String]?) -> [(name: String, value: String?)]? {
            parts.map { parts in
                parts.keys.sorted().filter { !parts[$0]!.isEmpty }.map {
                    ($0, Masking.mask(key: $0, value: parts[$0]!))
                }
            }
        }
        var steps = [
            Step(
                role: "source", plugin: plan.source.name, profile: plan.source.step.profile.name,
                settings: settings(of: plan.source.step.profile),
                identity: identity(plan.source.cacheIdentity(context: context)))
        ]
        for hop in plan.hops {
            steps.append(
                Step(
                    role: "hop \(hop.hop)", plugin: hop.name, profile: hop.step.profile.name,
                    settings: settings(of: hop.step.profile), identity: identity(hop.cacheIdentity(context: context))))
        }
        let environment = context.environment.filter { $0.key.utf8.starts(with: "AWS_".utf8) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { Setting(key: $0.key, value: Masking.mask(key: $0.key, value: $0.value), location: nil) }
        self.init(
            profile: plan.profile, plan: plan.description, steps: steps, environment: environment,
            cache: Self.cache(preview, now: context.now()))
    }

    /// Settings in the order of their files (the credentials file, then the config file, by line), then by key.
    private static func fileOrder(_ left: Setting, _ right: Setting) -> Bool {
        switch (left.location, right.location) {
        case let (l?, r?) where l != r:
            if l.path != r.path { return l.path.utf8.lexicographicallyPrecedes(r.path.utf8) }
            if l.line != r.line { return l.line < r.line }
            return left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
        case (nil, _?): return false
        case (_?, nil): return true
        default: return left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
        }
    }

    private static func cache(_ result: Result<CachePreview, CacheError>, now: Date) -> Cache {
        let preview: CachePreview
        switch result {
        case .success(let found): preview = found
        case .failure(let failure):
            return Cache(
                mode: "-", digest: nil, notCached: nil, backend: nil, why: "", entryFile: nil, expiration: nil,
                secondsLeft: nil, refreshMargin: nil, isFresh: false, notes: [],
                failure: singleLine("\(failure.problem) — \(failure.remedy)"))
        }
        var cache = Cache(
            mode: "\(preview.settings.mode) (\(singleLine(preview.settings.modeSource)))", digest: nil, notCached: nil,
            backend: nil, why: "", entryFile: preview.filePath.map(singleLine), expiration: preview.entry?.expiration,
            secondsLeft: preview.entry.map { $0.expiration.timeIntervalSince(now) },
            refreshMargin: preview.refreshMargin, isFresh: preview.isFresh, notes: preview.notes.map(singleLine),
            failure: nil)
        switch preview.derivation {
        case .cached(let key, _): cache.digest = key.digest
        case .notCached(let reason): cache.notCached = singleLine(reason)
        }
        switch preview.backend {
        case .none(let reason): cache.why = singleLine(reason)
        case .file(let why): (cache.backend, cache.why) = ("file", singleLine(why))
        case .keyring(let why): (cache.backend, cache.why) = ("keyring", singleLine(why))
        }
        return cache
    }

    // MARK: Rendering

    /// The human-readable form.
    var text: String {
        var lines = ["profile \(quotedForMessage(profile, limit: 200)): \(singleLine(plan))"]
        for step in steps {
            lines.append("")
            lines.append(
                "\(step.role): \(singleLine(step.plugin)) (profile \(quotedForMessage(step.profile, limit: 200)))")
            let width = step.settings.map { Self.width($0.key) + 3 + Self.width(Masking.display($0.value)) }.max() ?? 0
            for setting in step.settings {
                let value = Masking.display(setting.value)
                let text = "\(singleLine(setting.key)) = \(value)"
                let pad = String(repeating: " ", count: width - Self.width(setting.key) - 3 - Self.width(value))
                lines.append("  " + text + pad + "  " + (setting.location.map { "at \($0)" } ?? "(no file)"))
            }
            if step.settings.isEmpty { lines.append("  (no settings of its own)") }
            if let identity = step.identity {
                let parts = identity.map { "\(singleLine($0.name))=\(Masking.display($0.value))" }
                lines.append("  cache identity: " + (parts.isEmpty ? "(none)" : parts.joined(separator: ", ")))
            } else {
                lines.append("  cache identity: none declared (the plan is not cached)")
            }
        }
        if !environment.isEmpty {
            lines.append("")
            lines.append("environment (AWS_* variables; where a plugin reads one, it wins over the files):")
            for variable in environment {
                lines.append("  \(singleLine(variable.key)) = \(Masking.display(variable.value))")
            }
        }
        lines.append("")
        if let failure = cache.failure {
            lines.append("cache: a run would stop: \(failure)")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("cache: mode \(cache.mode)")
        if let digest = cache.digest {
            lines.append("  key: v\(CacheKey.version):\(digest)")
        } else if let reason = cache.notCached {
            lines.append("  key: none: \(reason)")
        }
        lines.append("  backend: \(cache.backend ?? "none (served uncached)"): \(cache.why)")
        if let file = cache.entryFile { lines.append("  file: '\(file)'") }
        if cache.digest != nil {
            if let left = cache.secondsLeft, let expiration = cache.expiration {
                let state =
                    cache.isFresh
                    ? "served without a request"
                    : "a run refreshes it"
                let margin = cache.refreshMargin.map { ", refreshed when \(formatRemaining($0)) are left" } ?? ""
                lines.append(
                    "  session: \(formatRemaining(left)) left (expires \(Timestamp.format(expiration))); \(state)\(margin)"
                )
            } else {
                lines.append("  session: none cached; a run fetches one")
            }
        }
        for note in cache.notes { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `--json` form: one object, one line.
    var json: String {
        func string(_ text: String?) -> String { text.map { CredentialDocument.quote(singleLine($0)) } ?? "null" }
        func object(_ fields: [(String, String)]) -> String {
            "{" + fields.map { "\(CredentialDocument.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        let steps = self.steps.map { step in
            object([
                ("step", string(step.role)), ("plugin", string(step.plugin)), ("profile", string(step.profile)),
                (
                    "settings",
                    "["
                        + step.settings.map { setting in
                            object([
                                ("key", string(setting.key)), ("value", string(setting.value)),
                                ("hidden", setting.value == nil ? "true" : "false"),
                                ("file", string(setting.location?.path)),
                                ("line", setting.location.map { String($0.line) } ?? "null"),
                            ])
                        }.joined(separator: ", ") + "]"
                ),
                ("cache_identity", step.identity.map { object($0.map { ($0.name, string($0.value)) }) } ?? "null"),
            ])
        }
        let cache = object([
            ("mode", string(self.cache.mode)), ("key", string(self.cache.digest)),
            ("not_cached", string(self.cache.notCached)), ("backend", string(self.cache.backend)),
            ("why", string(self.cache.why)), ("file", string(self.cache.entryFile)),
            ("expires", string(self.cache.expiration.map(Timestamp.format))),
            ("seconds_left", self.cache.secondsLeft.map { String(Int($0.rounded(.down))) } ?? "null"),
            ("fresh", self.cache.isFresh ? "true" : "false"),
            ("notes", "[" + self.cache.notes.map { string($0) }.joined(separator: ", ") + "]"),
            ("failure", string(self.cache.failure)),
        ])
        let environment = self.environment.map { variable in
            object([
                ("name", string(variable.key)), ("value", string(variable.value)),
                ("hidden", variable.value == nil ? "true" : "false"),
            ])
        }
        return object([
            ("profile", string(profile)), ("plan", string(plan)), ("steps", "[" + steps.joined(separator: ", ") + "]"),
            ("environment", "[" + environment.joined(separator: ", ") + "]"), ("cache", cache),
        ]) + "\n"
    }

    /// Columns are counted in Unicode scalars: close enough for alignment, and never a grapheme walk.
    private static func width(_ text: String) -> Int { singleLine(text).unicodeScalars.count }
}

/// How `explain` shows a setting's value: secrets hidden, access key ids masked as `--debug` masks them, everything
/// else quoted on one line.
enum Masking {
    /// What stands for a hidden value.
    static let hidden = "(hidden)"

    /// Whether the setting `key` holds a secret: secret keys, session tokens, passwords and the like. A file or path
    /// setting (`web_identity_token_file`) is not one.
    static func isSecret(key: String) -> Bool {
        let name = key.lowercased()
        if name.hasSuffix("_file") || name.hasSuffix("_path") { return false }
        let words = ["secret", "password", "passphrase", "private", "credential_value"]
        if words.contains(where: { name.contains($0) }) { return true }
        return name.hasSuffix("token") || name.hasSuffix("_key") || name == "token"
    }

    /// The value of `key` as `explain` gives it: `nil` for a secret, an access key id masked as `****ABCD`,
    /// anything else on one line with the access key ids in it masked.
    static func mask(key: String, value: String) -> String? {
        if isSecret(key: key) { return nil }
        if key.lowercased().hasSuffix("key_id") { return maskAccessKeyId(singleLine(value)) }
        return singleLine(maskingKeyIds(in: value))
    }

    /// A masked value as text shows it: quoted on one line (at most 200 characters), or ``hidden``.
    static func display(_ masked: String?) -> String {
        masked.map { quotedForMessage($0, limit: 200) } ?? hidden
    }

    /// `text` with every word that looks like an AWS access key id (`AKIA`, `ASIA`… and 16 more upper-case letters
    /// or digits) masked as `****ABCD`: a command line may carry one.
    static func maskingKeyIds(in text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return text }
        func isKeyByte(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) }
        var result: [UInt8] = []
        var index = 0
        var changed = false
        while index < bytes.count {
            let start = index
            guard isKeyByte(bytes[index]), index == 0 || !isKeyByte(bytes[index - 1]) else {
                result.append(bytes[index])
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, isKeyByte(bytes[end]) { end += 1 }
            let word = bytes[start..<end]
            if word.count == 20, word.first == UInt8(ascii: "A"), word.dropFirst().prefix(3).allSatisfy({ $0 >= 0x41 })
            {
                result += Array("****".utf8) + word.suffix(4)
                changed = true
            } else {
                result += word
            }
            index = end
        }
        return changed ? String(decoding: result, as: UTF8.self) : text
    }
}
