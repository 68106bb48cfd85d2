import ElevateCore

/// The profiles of the shared config and credentials files, merged as botocore merges them.
///
/// In the config file `[default]` and `[profile NAME]` define profiles (`NAME` is read with shell quoting, so
/// `[profile "a b"]` is the profile `a b`; a header that does not split into exactly two words defines nothing);
/// `[sso-session NAME]`, `[services NAME]` and other sections are not profiles; a profile's `services` key names the
/// `[services NAME]` section whose settings it gets (``ElevateCore/Profile/serviceSettings``), its `sso_session` key
/// the `[sso-session NAME]` section (``ElevateCore/Profile/ssoSession``). When two headers name the same
/// profile (`[default]` and `[profile default]`), the later section replaces the earlier one entirely. In the
/// credentials file every section `[NAME]` is a profile. Keys from the credentials file win over the config file's,
/// key by key.
public struct AWSConfig: Sendable {
    /// Files larger than this (4 MiB) are rejected unread: a real AWS config is a few kilobytes, and aws-elevate runs
    /// on every SDK call.
    public static let maximumFileSize = 4 * 1024 * 1024

    /// Every profile by name, merged. Names that differ only in their Unicode spelling (`é` and `e` + U+0301) are
    /// different profiles, as in botocore; this listing keeps one of such a pair, so look profiles up with
    /// ``profile(named:)``.
    public var profiles: [String: Profile] {
        Dictionary(exactProfiles.values.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every profile name, each spelling once (unlike ``profiles``), ordered by UTF-8 bytes.
    public var profileNames: [String] {
        exactProfiles.values.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The profile called exactly `name` (compared scalar by scalar, as Python compares names), or `nil`.
    public func profile(named name: String) -> Profile? { exactProfiles[PythonText.exactKey(name)] }

    /// Every profile, by ``PythonText/exactKey(_:)`` of its name.
    var exactProfiles: [String: Profile]
    /// The files the profiles were read from.
    public private(set) var files: ConfigFiles
    /// Whether the config file existed when it was loaded.
    public private(set) var configFileExists: Bool
    /// Whether the credentials file existed when it was loaded.
    public private(set) var credentialsFileExists: Bool

    /// Each profile as the config file alone gives it, by exact key; botocore looks for static keys per file.
    var configProfiles: [String: FileProfile]
    /// Each profile as the credentials file alone gives it, by exact key.
    var credentialsProfiles: [String: FileProfile]

    /// The two files and whether each existed, for messages.
    public var searched: [ConfigFileStatus] {
        [
            ConfigFileStatus(path: files.configPath, exists: configFileExists),
            ConfigFileStatus(path: files.credentialsPath, exists: credentialsFileExists),
        ]
    }

    /// Reads and merges both files. A missing file counts as empty, as botocore treats it.
    ///
    /// Throws when a file exists but cannot be read (permissions, a directory), is larger than
    /// ``maximumFileSize``, is not UTF-8, or is not valid INI; every error names the file, and the line when there
    /// is one.
    public static func load(_ files: ConfigFiles) throws(ConfigError) -> AWSConfig {
        let config = try readConfigFile(at: files.configPath, limit: maximumFileSize)
        let credentials = try readConfigFile(at: files.credentialsPath, limit: maximumFileSize)
        return try build(config: config, credentials: credentials, files: files)
    }

    /// Parses file contents given as text (both files count as existing); `files` names them in messages.
    public static func parse(config: String, credentials: String, files: ConfigFiles) throws(ConfigError) -> AWSConfig {
        try build(config: Array(config.utf8), credentials: Array(credentials.utf8), files: files)
    }

    package static func build(config: [UInt8]?, credentials: [UInt8]?, files: ConfigFiles) throws(ConfigError) -> AWSConfig {
        var configProfiles: [String: FileProfile] = [:]
        var servicesSections: [String: [String: [String: String]]] = [:]
        var ssoSessions: [String: [String: String]] = [:]
        if let config {
            let document = try INIParser.parse(config, path: files.configPath)
            for section in document.sections {
                if let name = configProfileName(section.name) {
                    configProfiles[PythonText.exactKey(name)] = FileProfile(
                        name: name, section: section, path: files.configPath)
                } else if let name = servicesSectionName(section.name) {
                    servicesSections[PythonText.exactKey(name)] = serviceSettings(section)
                } else if let name = ssoSessionSectionName(section.name) {
                    ssoSessions[PythonText.exactKey(name)] = plainSettings(section)
                }
            }
        }
        var credentialsProfiles: [String: FileProfile] = [:]
        if let credentials {
            let document = try INIParser.parse(credentials, path: files.credentialsPath)
            for section in document.sections {
                credentialsProfiles[PythonText.exactKey(section.name)] = FileProfile(
                    name: section.name, section: section, path: files.credentialsPath)
            }
        }
        var merged: [String: Profile] = configProfiles.mapValues(\.profile)
        for (name, fromCredentials) in credentialsProfiles {
            var profile = merged[name] ?? Profile(name: fromCredentials.profile.name)
            for (key, value) in fromCredentials.profile.values {
                profile.sections[key] = nil
                profile.values[key] = value
            }
            for (key, value) in fromCredentials.profile.sections {
                profile.values[key] = nil
                profile.sections[key] = value
            }
            merged[name] = profile
        }
        if !servicesSections.isEmpty {
            for (name, profile) in merged {
                guard let services = profile["services"], let settings = servicesSections[PythonText.exactKey(services)]
                else { continue }
                merged[name]?.serviceSettings = settings
            }
        }
        if !ssoSessions.isEmpty {
            for (name, profile) in merged {
                guard let session = profile["sso_session"], let settings = ssoSessions[PythonText.exactKey(session)]
                else { continue }
                merged[name]?.ssoSession = settings
            }
        }
        return AWSConfig(
            exactProfiles: merged,
            files: files,
            configFileExists: config != nil,
            credentialsFileExists: credentials != nil,
            configProfiles: configProfiles,
            credentialsProfiles: credentialsProfiles
        )
    }

    /// Where `key` of profile `name` is set, the credentials file first (its keys win); `nil` when neither file
    /// sets it in that profile (botocore gives a profile no value of another one, `[default]` included).
    public func location(of key: String, in name: String) -> FileLocation? {
        let exact = PythonText.exactKey(name)
        return credentialsProfiles[exact]?.locations[key] ?? configProfiles[exact]?.locations[key]
    }
}

/// The services configuration a config-file section defines (`[services NAME]`), or `nil`. botocore tests the
/// `profile` prefix first, so `[profile services]` is a profile.
func servicesSectionName(_ section: String) -> String? {
    prefixedSectionName(section, prefix: "services")
}

/// NAME of a header `PREFIX NAME` as botocore's `_parse_section` reads it: the header only has to start with the
/// prefix (so `[profiles x]` names `x` too), and must split with shell quoting into exactly two words.
private func prefixedSectionName(_ section: String, prefix: String) -> String? {
    guard PythonText.hasPrefix(section, prefix), let words = shellWords(section), words.count == 2 else { return nil }
    return words[1]
}

/// The SSO session a config-file section defines (`[sso-session NAME]`), or `nil`. botocore tests the `profile`
/// prefix first, so `[profile sso-session]` is a profile.
func ssoSessionSectionName(_ section: String) -> String? {
    prefixedSectionName(section, prefix: "sso-session")
}

/// A section's plain settings; sub-sections are left out (no SSO setting is one).
func plainSettings(_ section: INIDocument.Section) -> [String: String] {
    var settings: [String: String] = [:]
    for entry in section.entries {
        switch entry.value {
        case .plain(let text): settings[entry.key] = text
        case .nested: settings[entry.key] = nil
        }
    }
    return settings
}

/// A services section's sub-sections (`sts =` then indented `endpoint_url = …`), by service id. A plain value is
/// not a service's settings and is left out (botocore would fail on it with an internal error).
func serviceSettings(_ section: INIDocument.Section) -> [String: [String: String]] {
    var settings: [String: [String: String]] = [:]
    for entry in section.entries {
        if case .nested(let nested) = entry.value { settings[entry.key] = nested }
    }
    return settings
}

/// The profile a config-file section defines, as botocore's `build_profile_map` reads it, or `nil`.
func configProfileName(_ section: String) -> String? {
    if PythonText.hasPrefix(section, "profile") { return prefixedSectionName(section, prefix: "profile") }
    return PythonText.same(section, "default") ? "default" : nil
}

/// One profile as one file gives it, with the line of each key.
struct FileProfile: Sendable {
    var profile: Profile
    var locations: [String: FileLocation]

    init(name: String, section: INIDocument.Section, path: String) {
        profile = Profile(name: name)
        locations = [:]
        for entry in section.entries {
            switch entry.value {
            case .plain(let text):
                profile.sections[entry.key] = nil
                profile.values[entry.key] = text
            case .nested(let nested):
                profile.values[entry.key] = nil
                profile.sections[entry.key] = nested
            }
            locations[entry.key] = FileLocation(path: path, line: entry.line)
        }
    }
}

/// The profile to use when none is given: `AWS_DEFAULT_PROFILE`, then `AWS_PROFILE`, then `default`.
/// An empty variable counts as unset.
public func defaultProfileName(environment: [String: String]) -> String {
    for variable in ["AWS_DEFAULT_PROFILE", "AWS_PROFILE"] {
        if let name = environment[variable], !name.isEmpty { return name }
    }
    return "default"
}
