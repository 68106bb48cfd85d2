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
    /// ``profile(named:)``. It parses every profile: for listings and tests, not for a run.
    public var profiles: [String: Profile] {
        let config = (try? forManyLookups()) ?? self
        var profiles: [String: Profile] = [:]
        for name in config.profileNames where profiles[name] == nil {
            profiles[name] = config.profile(named: name)
        }
        return profiles
    }

    /// These files ready for looking up many profiles (a listing, `doctor`): each read whole, once, with a table of
    /// its sections. A run looks up two or three, each read from the file when asked for.
    public func forManyLookups() throws(ConfigError) -> AWSConfig {
        AWSConfig(
            configFile: try configFile?.forManyLookups(), credentialsFile: try credentialsFile?.forManyLookups(),
            files: files)
    }

    /// Every profile name, each spelling once (unlike ``profiles``), ordered by UTF-8 bytes.
    public var profileNames: [String] {
        var seen = Set<String>()
        var names: [String] = []
        for name in (configFile?.names(.profile) ?? []) + (credentialsFile?.sectionNames ?? [])
        where seen.insert(PythonText.exactKey(name)).inserted {
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The profile called exactly `name` (compared scalar by scalar, as Python compares names), or `nil`: the config
    /// file's section, the credentials file's keys over it key by key, the settings of the `[services NAME]`
    /// section its `services` key names and of the `[sso-session NAME]` section its `sso_session` key names.
    public func profile(named name: String) -> Profile? {
        let fromConfig = configProfile(named: name)
        let fromCredentials = credentialsProfile(named: name)
        guard var profile = fromConfig?.profile ?? fromCredentials.map({ Profile(name: $0.profile.name) }) else {
            return nil
        }
        if let fromCredentials {
            for (key, value) in fromCredentials.profile.values {
                profile.sections[key] = nil
                profile.values[key] = value
            }
            for (key, value) in fromCredentials.profile.sections {
                profile.values[key] = nil
                profile.sections[key] = value
            }
        }
        if let services = profile["services"], let section = configFile?.lastSection(.services, named: services) {
            profile.serviceSettings = serviceSettings(section)
        }
        if let session = profile["sso_session"], let section = configFile?.lastSection(.ssoSession, named: session) {
            profile.ssoSession = plainSettings(section)
        }
        return profile
    }

    /// The two files, each checked whole when loaded; a missing file is `nil`.
    let configFile: INIFile?
    let credentialsFile: INIFile?
    /// The files the profiles were read from.
    public private(set) var files: ConfigFiles
    /// Whether the config file existed when it was loaded.
    public var configFileExists: Bool { configFile != nil }
    /// Whether the credentials file existed when it was loaded.
    public var credentialsFileExists: Bool { credentialsFile != nil }

    /// How each existing file was read (`'PATH': scanned, …`), for `--debug`.
    public var readings: [String] {
        [configFile, credentialsFile].compactMap { $0.map { "'\($0.path)': \($0.reading.rawValue)" } }
    }

    /// The profile `name` as the config file alone gives it; botocore looks for static keys per file.
    func configProfile(named name: String) -> FileProfile? {
        guard let configFile, let section = configFile.lastSection(.profile, named: name) else { return nil }
        return FileProfile(name: name, section: section, path: configFile.path)
    }

    /// The profile `name` as the credentials file alone gives it.
    func credentialsProfile(named name: String) -> FileProfile? {
        guard let credentialsFile, let section = credentialsFile.section(named: name) else { return nil }
        return FileProfile(name: section.name, section: section, path: credentialsFile.path)
    }

    /// The two files and whether each existed, for messages.
    public var searched: [ConfigFileStatus] {
        [
            ConfigFileStatus(path: files.configPath, exists: configFileExists),
            ConfigFileStatus(path: files.credentialsPath, exists: credentialsFileExists),
        ]
    }

    /// Reads both files and checks them whole; profiles are read from them when asked for. A missing file counts as
    /// empty, as botocore treats it.
    ///
    /// Throws when a file exists but cannot be read (permissions, a directory), is larger than
    /// ``maximumFileSize``, is not UTF-8, or is not valid INI; every error names the file, and the line when there
    /// is one.
    ///
    /// `indexes` keeps where the sections of a large file are, so that the next run finds them without reading the
    /// whole file again while it stays unchanged (``ConfigIndexStore``).
    public static func load(_ files: ConfigFiles, indexes: (any ConfigIndexStore)? = nil) throws(ConfigError)
        -> AWSConfig
    {
        let config = try ConfigFileContents.open(at: files.configPath, limit: maximumFileSize)
        let credentials = try ConfigFileContents.open(at: files.credentialsPath, limit: maximumFileSize)
        return try build(config: config, credentials: credentials, files: files, indexes: indexes)
    }

    /// Throws when a large file, read in parts, changed on disk since it was checked (see ``ConfigFileContents``):
    /// what was read from it may mix two versions. Callers check once they have read what they need.
    public func checkUnchanged() throws(ConfigError) {
        try configFile?.checkUnchanged()
        try credentialsFile?.checkUnchanged()
    }

    /// Parses file contents given as text (both files count as existing); `files` names them in messages.
    public static func parse(config: String, credentials: String, files: ConfigFiles) throws(ConfigError) -> AWSConfig {
        try build(config: Array(config.utf8), credentials: Array(credentials.utf8), files: files)
    }

    package static func build(config: [UInt8]?, credentials: [UInt8]?, files: ConfigFiles) throws(ConfigError) -> AWSConfig {
        try build(config: config.map(ConfigFileContents.init), credentials: credentials.map(ConfigFileContents.init),
            files: files)
    }

    static func build(
        config: ConfigFileContents?, credentials: ConfigFileContents?, files: ConfigFiles,
        indexes: (any ConfigIndexStore)? = nil
    ) throws(ConfigError) -> AWSConfig {
        let configFile = try config.map { contents throws(ConfigError) in
            try INIFile(contents, path: files.configPath, store: indexes)
        }
        let credentialsFile = try credentials.map { contents throws(ConfigError) in
            try INIFile(contents, path: files.credentialsPath, store: indexes)
        }
        return AWSConfig(configFile: configFile, credentialsFile: credentialsFile, files: files)
    }

    /// Where `key` of profile `name` is set, the credentials file first (its keys win); `nil` when neither file
    /// sets it in that profile (botocore gives a profile no value of another one, `[default]` included).
    public func location(of key: String, in name: String) -> FileLocation? {
        credentialsProfile(named: name)?.locations[key] ?? configProfile(named: name)?.locations[key]
    }
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
    if PythonText.same(section, "default") { return "default" }
    return INIFile.name(of: section, prefix: .profile)
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
