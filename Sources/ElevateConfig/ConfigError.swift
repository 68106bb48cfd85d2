import ElevateCore

/// A line of a configuration file, for messages: `/home/me/.aws/config:12`.
public struct FileLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file, as located (after `~` and `$VAR` expansion).
    public var path: String
    /// The line number, counting from 1.
    public var line: Int

    /// A line of a file.
    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    /// `path:line`, on one line.
    public var description: String { "\(singleLine(path)):\(line)" }
}

/// A configuration file that was looked for, and whether it was there.
public struct ConfigFileStatus: Sendable, Equatable {
    /// The file, as located.
    public var path: String
    /// Whether there was a file to read at `path`.
    public var exists: Bool

    /// A file and whether it was found.
    public init(path: String, exists: Bool) {
        self.path = path
        self.exists = exists
    }
}

/// Everything that can be wrong with `~/.aws/config`, `~/.aws/credentials` or the profile chain they describe.
///
/// Resolution errors carry `chain`: the profile names from the requested profile to the one at fault, following
/// `source_profile` (`["app"]` when the requested profile itself is at fault). Messages never contain a secret key or
/// session token; they quote key names, profile names and non-secret values only.
public enum ConfigError: ElevateFailure, Equatable {
    // MARK: Reading files

    /// The file exists but could not be read (permission denied, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// The file is larger than ``AWSConfig/maximumFileSize``; it was not read.
    case tooLarge(path: String, size: Int64)
    /// The line holds bytes that are not UTF-8.
    case notUTF8(FileLocation)
    /// The index of the file stored in the cache directory did not match the file; it was removed, and reading the
    /// files again scans it (``INIIndexRecord``).
    case staleIndex(path: String)

    // MARK: INI syntax

    /// A setting appears before the first `[section]` header.
    case lineBeforeSection(FileLocation)
    /// A line is neither a header, a comment, a continuation nor `key = value`.
    case missingDelimiter(FileLocation)
    /// A line starts with `=` or `:`.
    case emptyKey(FileLocation)
    /// A section header appears twice in one file.
    case duplicateSection(FileLocation, section: String)
    /// A key appears twice in one section (key names ignore case).
    case duplicateKey(FileLocation, section: String, key: String)
    /// An indented line under `key =` (a sub-section such as `s3 =`) has no `=`.
    case nestedLineWithoutEquals(FileLocation, key: String)

    // MARK: Resolving a profile

    /// No file defines the requested profile.
    case profileNotFound(name: String, searched: [ConfigFileStatus])
    /// `source_profile` names a profile that no file defines.
    case sourceProfileNotFound(chain: [String], name: String, at: FileLocation?, searched: [ConfigFileStatus])
    /// Following `source_profile` comes back to a profile already visited; `visited` ends with the repeated one.
    case sourceProfileLoop(visited: [String])
    /// A key that must hold a value is empty.
    case emptyValue(chain: [String], key: String, at: FileLocation?)
    /// A key that must hold a value holds a sub-section (indented lines under it).
    case notAValue(chain: [String], key: String, at: FileLocation?)
    /// One key of a pair is set and the other is not (`aws_access_key_id` without `aws_secret_access_key`).
    case missingKey(chain: [String], missing: String, present: String, at: FileLocation?)
    /// `role_arn` with both `source_profile` and `credential_source`.
    case bothSources(chain: [String], at: FileLocation?)
    /// `role_arn` with neither `source_profile` nor `credential_source`.
    case noSource(chain: [String], at: FileLocation?)
    /// `credential_source` is not one of the names botocore knows.
    case unknownCredentialSource(chain: [String], value: String, at: FileLocation?)
    /// A setting chooses a plugin that this build does not register (`setting` as written, such as
    /// `credential_source = EcsContainer`).
    case noPlugin(chain: [String], setting: String, at: FileLocation?)
    /// The profile would be resolved through its `credential_process`, which runs aws-elevate again.
    case runsItself(chain: [String], at: FileLocation?)
    /// The profile uses a way of getting credentials aws-elevate does not implement (web identity, SSO, login).
    case unsupported(chain: [String], key: String, mechanism: String, at: FileLocation?)
    /// The profile holds nothing that yields credentials.
    case noCredentials(chain: [String], lookedFor: [String])
    /// `elevate_source` or `elevate_plugin` (`key`) holds something that cannot name a plugin.
    case invalidPluginName(chain: [String], key: String, value: String, at: FileLocation?)
    /// `key` names no registered plugin, and no executable `aws-elevate-plugin-NAME` is in the `searched` folders.
    case pluginNotFound(chain: [String], key: String, name: String, searched: [String], at: FileLocation?)
    /// `key` names a process plugin whose executable at `path` cannot be run, for `reason`.
    case pluginUnusable(chain: [String], key: String, path: String, reason: String, at: FileLocation?)
    /// `key` names a built-in plugin of the other `kind`.
    case pluginOfOtherKind(chain: [String], key: String, name: String, kind: PluginKind, at: FileLocation?)
    /// `key` (an aws-elevate setting) is set together with `other`, and only one of them may say where the profile's
    /// credentials come from.
    case conflictingSettings(chain: [String], key: String, other: String, at: FileLocation?)
    /// `elevate_plugin` without `role_arn` has none of `source_profile`, `credential_source`, `elevate_source`.
    case noPluginSource(chain: [String], at: FileLocation?)

    // MARK: Writing a profile (setup)

    /// The profile to be written is already defined (`at`: its section header, in `configPath` or the credentials
    /// file), and replacing it was not asked for.
    case profileExists(name: String, at: FileLocation, configPath: String)
    /// A name that setup does not write as a profile; `reason` says what it holds.
    case invalidProfileName(name: String, reason: String)
    /// A value that a `credential_process` line cannot carry; `what` names it.
    case notCommandSafe(what: String, value: String)
    /// After the edit botocore would still take the profile's credentials from `key`, before its
    /// `credential_process`.
    case shadowed(name: String, key: String, at: FileLocation?)
    /// After the edit the chain profile would no longer resolve; `problem` is why.
    case breaksChain(name: String, chain: String, problem: String)
    /// The config file could not be written (or backed up); the file is as it was.
    case unwritable(path: String, reason: String)
    /// The config file changed between reading it and replacing it; nothing was written.
    case changedWhileWriting(path: String)

    /// Always ``FailureCategory/configuration``.
    public var category: FailureCategory { .configuration }

    /// What is wrong, lower-case, with the file and line when there is one.
    public var problem: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read '\(q(path))': \(q(reason))"
        case .tooLarge(let path, let size):
            return "'\(q(path))' is \(size) bytes, more than the \(AWSConfig.maximumFileSize) bytes aws-elevate reads"
        case .notUTF8(let at):
            return "\(at): the line is not valid UTF-8"
        case .staleIndex(let path):
            return "the index of '\(q(path))' stored in the cache directory did not match the file; it was removed"
        case .lineBeforeSection(let at):
            return "\(at): a setting before the first [section] header"
        case .missingDelimiter(let at):
            return "\(at): the line has no '=' or ':' and does not continue a value"
        case .emptyKey(let at):
            return "\(at): the line has no key name before its '=' or ':'"
        case .duplicateSection(let at, let section):
            return "\(at): section [\(q(section))] appears a second time"
        case .duplicateKey(let at, let section, let key):
            return "\(at): '\(q(key))' appears a second time in [\(q(section))]"
        case .nestedLineWithoutEquals(let at, let key):
            return "\(at): an indented line under '\(q(key))' has no '='"
        case .profileNotFound(_, let searched):
            return "not found in \(describe(searched))"
        case .sourceProfileNotFound(let chain, let name, let at, let searched):
            return prefix(chain) + "source_profile '\(q(name))'\(suffix(at)) is not a profile in \(describe(searched))"
        case .sourceProfileLoop(let visited):
            return "source_profile goes round in a loop: " + visited.map { "'\(q($0))'" }.joined(separator: " → ")
        case .emptyValue(let chain, let key, let at):
            return prefix(chain) + "'\(q(key))' is empty\(suffix(at))"
        case .notAValue(let chain, let key, let at):
            return prefix(chain) + "'\(q(key))' holds indented lines instead of a value\(suffix(at))"
        case .missingKey(let chain, let missing, let present, let at):
            return prefix(chain) + "'\(q(present))' is set\(suffix(at)) but '\(q(missing))' is missing"
        case .bothSources(let chain, let at):
            return prefix(chain) + "both source_profile and credential_source are set for role_arn\(suffix(at))"
        case .noSource(let chain, let at):
            return prefix(chain) + "role_arn\(suffix(at)) has neither source_profile nor credential_source"
        case .unknownCredentialSource(let chain, let value, let at):
            return prefix(chain) + "credential_source '\(q(value))'\(suffix(at)) is not a known source"
        case .noPlugin(let chain, let setting, let at):
            return prefix(chain) + "'\(q(setting))'\(suffix(at)) needs a plugin that this build does not register"
        case .runsItself(let chain, let at):
            return prefix(chain) + "its credential_process\(suffix(at)) runs aws-elevate again, which would recurse"
        case .unsupported(let chain, let key, let mechanism, let at):
            return prefix(chain)
                + "'\(q(key))'\(suffix(at)) asks for \(mechanism), which aws-elevate does not support yet"
        case .noCredentials(let chain, let lookedFor):
            return prefix(chain) + "holds none of " + lookedFor.map { "'\($0)'" }.joined(separator: ", ")
        case .invalidPluginName(let chain, let key, let value, let at):
            return prefix(chain) + "\(key) \(quotedForMessage(value, limit: 80))\(suffix(at)) is not a plugin name"
        case .pluginNotFound(let chain, let key, let name, let searched, let at):
            let listed = searched.map { quotedForMessage($0, limit: 120) }.joined(separator: ", ")
            let folders = searched.isEmpty ? "no plugin folder is set" : "none of \(listed) holds it"
            return prefix(chain) + "\(key) '\(name)'\(suffix(at)) names no built-in plugin, and no executable "
                + "'aws-elevate-plugin-\(name)' was found: \(folders)"
        case .pluginUnusable(let chain, let key, let path, let reason, let at):
            return prefix(chain) + "\(key)\(suffix(at)) names the process plugin "
                + "\(quotedForMessage(path, limit: 200)), which cannot be run: \(reason)"
        case .pluginOfOtherKind(let chain, let key, let name, let kind, let at):
            return prefix(chain) + "\(key) '\(name)'\(suffix(at)) names the built-in \(kind) plugin, "
                + "not \(kind == .source ? "an elevation" : "a source")"
        case .conflictingSettings(let chain, let key, let other, let at):
            return prefix(chain) + "\(key) and '\(q(other))'\(suffix(at)) are both set, and only one may say "
                + "where the credentials come from"
        case .noPluginSource(let chain, let at):
            return prefix(chain) + "elevate_plugin\(suffix(at)) has none of source_profile, credential_source, "
                + "elevate_source to elevate from"
        case .profileExists(_, let at, _):
            return "already exists (\(at))"
        case .invalidProfileName(let name, let reason):
            return "'\(q(name))' cannot be written as a profile name: it holds \(reason)"
        case .notCommandSafe(let what, let value):
            return "the \(what) '\(q(value))' holds a line break or control character, "
                + "which a credential_process line cannot carry"
        case .shadowed(_, let key, let at):
            return "botocore would still take its credentials from '\(q(key))'\(suffix(at)) before the new "
                + "credential_process"
        case .breaksChain(_, let chain, let problem):
            return "writing it would break the chain '\(q(chain))', which would then fail with: \(problem)"
        case .unwritable(let path, let reason):
            return "cannot write '\(q(path))': \(q(reason)); the file is unchanged"
        case .changedWhileWriting(let path):
            return "'\(q(path))' changed while it was being edited; nothing was written"
        }
    }

    /// What to change.
    public var remedy: String {
        switch self {
        case .unreadable:
            return "make it a readable file, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at one"
        case .tooLarge:
            return "check that the path names an AWS config or credentials file"
        case .notUTF8:
            return "save the file as UTF-8"
        case .staleIndex:
            return "run the command again"
        case .lineBeforeSection:
            return "move the line under a header such as [default] or [profile NAME], or start it with '#'"
        case .missingDelimiter:
            return "write 'key = value', indent a continuation deeper than its key, or start a comment with '#'"
        case .emptyKey:
            return "put the key name before the '=' or ':'"
        case .duplicateSection(_, let section):
            return "merge the two [\(q(section))] sections into one"
        case .duplicateKey(_, _, let key):
            return "keep one '\(q(key))' line in the section (key names ignore case)"
        case .nestedLineWithoutEquals(_, let key):
            return "write each indented line under '\(q(key))' as 'name = value'"
        case .profileNotFound(let name, let searched):
            let config = searched.first?.path ?? "~/.aws/config"
            return "add a \(configHeader(name)) section to '\(q(config))', or choose another profile"
        case .sourceProfileNotFound(_, let name, _, let searched):
            let config = searched.first?.path ?? "~/.aws/config"
            return "add a \(configHeader(name)) section to '\(q(config))', or correct source_profile"
        case .sourceProfileLoop:
            return "end the chain with a profile that holds static keys or credential_source instead of source_profile"
        case .emptyValue(_, let key, _):
            return "give '\(q(key))' a value, or remove the line"
        case .notAValue(_, let key, _):
            return "write '\(q(key)) = value' on one line"
        case .missingKey(_, let missing, let present, _):
            return "add '\(q(missing))' next to '\(q(present))' in the same section"
        case .bothSources:
            return "keep one: source_profile to start from another profile's credentials, "
                + "credential_source to start from the machine's own identity"
        case .noSource:
            return "add source_profile = PROFILE, or credential_source = "
                + CredentialSource.allCases.map(\.rawValue).joined(separator: " | ") + ", or elevate_source = PLUGIN"
        case .unknownCredentialSource:
            return "use one of: " + CredentialSource.allCases.map(\.rawValue).joined(separator: ", ")
        case .noPlugin:
            return "run 'aws-elevate plugins' to see the registered plugins, and start the chain from one of them"
        case .runsItself(let chain, _) where chain.count > 1:
            return "a source profile must hold its own credentials (static keys, source_profile or "
                + "credential_source), not a credential_process that runs aws-elevate"
        case .runsItself(let chain, _):
            let name = chain.last ?? "NAME"
            return "point --profile at the chain profile that holds role_arn (by convention '\(q(name))-chain'); "
                + "the profile the SDK uses holds only credential_process = aws-elevate credential-process "
                + "--profile \(q(name))-chain"
        case .unsupported:
            return "start the chain from static keys, source_profile or credential_source"
        case .noCredentials:
            return "add role_arn with source_profile or credential_source, "
                + "or aws_access_key_id with aws_secret_access_key"
        case .invalidPluginName(_, let key, _, _):
            return "give \(key) a plugin's name: lower-case letters, digits and '-' (aws-elevate plugins lists them)"
        case .pluginNotFound(_, _, let name, _, _):
            return "install an executable 'aws-elevate-plugin-\(name)' in a folder of AWS_ELEVATE_PLUGIN_PATH or in "
                + "~/.local/share/aws-elevate/plugins, or correct the name (aws-elevate plugins lists them)"
        case .pluginUnusable:
            return "make it a regular file of yours that you may execute and that only you may write (chmod 755)"
        case .pluginOfOtherKind(_, let key, _, let kind, _):
            return kind == .source
                ? "use the source plugin with elevate_source, or name an elevation plugin in \(key)"
                : "use the elevation plugin with elevate_plugin, or name a source plugin in \(key)"
        case .conflictingSettings(_, let key, let other, _):
            return "keep one: \(key) is read by aws-elevate only, '\(q(other))' by botocore and the other SDKs too; "
                + "give the plugin its own profile"
        case .noPluginSource:
            return "add source_profile = PROFILE, credential_source = "
                + CredentialSource.allCases.map(\.rawValue).joined(separator: " | ") + ", or elevate_source = PLUGIN"
        case .profileExists(_, let at, let configPath) where at.path == configPath:
            return "add --force to replace its settings in '\(q(configPath))' (a backup of the file is kept), "
                + "or choose another --profile"
        case .profileExists(_, _, let configPath):
            return "add --force to give it a section in '\(q(configPath))' as well (a backup of the file is kept), "
                + "or choose another --profile"
        case .invalidProfileName:
            return "use a name without spaces, control characters, brackets, quotes or backslashes"
        case .notCommandSafe(let what, _):
            return "rename the \(what) so that it holds printable characters only"
        case .shadowed(_, let key, _):
            return "remove '\(q(key))' from that file (setup edits only the profile's section of the config file), "
                + "then run setup again"
        case .breaksChain:
            return "choose a --profile name that the chain does not use"
        case .unwritable:
            return "check the permissions and free space of the file's folder"
        case .changedWhileWriting:
            return "run the command again"
        }
    }
}

/// A quoted value on one line.
private func q(_ text: String) -> String { singleLine(text) }

/// Names the profile at fault when it is not the requested one (the command line already names that one).
private func prefix(_ chain: [String]) -> String {
    // A profile that is its own source_profile is still the requested one.
    guard chain.count > 1, let last = chain.last, last != chain[chain.count - 2] else { return "" }
    return "source profile '\(q(last))' (of '\(q(chain[chain.count - 2]))'): "
}

private func suffix(_ location: FileLocation?) -> String {
    location.map { " (\($0))" } ?? ""
}

private func describe(_ searched: [ConfigFileStatus]) -> String {
    let names = searched.map { "'\(q($0.path))'" + ($0.exists ? "" : " (does not exist)") }
    switch names.count {
    case 0: return "any file"
    case 1: return names[0]
    default: return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}

/// The header that defines `name` in the config file, quoted the way botocore's shlex reading accepts.
func configHeader(_ name: String) -> String {
    if name == "default" { return "[default]" }
    let plain = !name.isEmpty
        && name.unicodeScalars.allSatisfy { !PythonText.isSpace($0) && $0 != "'" && $0 != "\"" && $0 != "\\" }
    if plain { return "[profile \(q(name))]" }
    var escaped = ""
    for scalar in name.unicodeScalars {
        if scalar == "\\" || scalar == "\"" { escaped.unicodeScalars.append("\\") }
        escaped.unicodeScalars.append(scalar)
    }
    return "[profile \"\(q(escaped))\"]"
}
