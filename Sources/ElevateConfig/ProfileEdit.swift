import ElevateCore

/// Why `name` cannot be written as a profile by `aws-elevate setup` (`"white space"`, `"a bracket"`…), or `nil`
/// when it can.
///
/// Stricter than botocore, which reads `[profile "a b"]` with shell quoting: a written name must work unquoted in
/// a section header, in `AWS_PROFILE` and on a command line, and read the same in every SDK's parser.
public func profileNameProblem(_ name: String) -> String? {
    if name.unicodeScalars.isEmpty { return "no characters" }
    for scalar in name.unicodeScalars {
        switch scalar {
        case "[", "]": return "a bracket"
        case "'", "\"": return "a quote"
        case "\\": return "a backslash"
        default: break
        }
        let category = scalar.properties.generalCategory
        if category == .control { return "a control character" }
        if PythonText.isSpace(scalar) || scalar.properties.isWhitespace { return "white space" }
        if category == .format { return "an invisible formatting character" }
    }
    return nil
}

/// The change `aws-elevate setup` makes to the config file, worked out in memory: one profile's
/// `credential_process` written, every other byte of the file as it was.
///
/// A profile the config file does not define gets a new section at the end (`[default]` for `default`, else
/// `[profile NAME]`), after an empty line when the file does not end with one, and in the file's line ending (its
/// first one; `\n` for a file that has none). A file that does not end with a line break keeps not ending with
/// one. A profile the config file defines (when replacing is allowed) keeps its header line byte for byte; the lines
/// of its section after the header, up to its last setting or continuation line, become the one
/// `credential_process` line, indented like the section's last setting so that every line after it is read as
/// before. Comments and empty lines after the section stay. When several sections define the profile (`[default]`
/// and `[profile default]`), botocore uses the last one, and that one is edited.
public struct ProfileEdit: Sendable {
    /// The files, as located.
    public var files: ConfigFiles
    /// The config file before the edit; `nil` when there was none.
    public var original: [UInt8]?
    /// The whole config file after the edit.
    public var updated: [UInt8]
    /// The header of the section whose settings were replaced; `nil` when a section was added.
    public var replaced: FileLocation?
    /// The header written or kept, such as `[profile admin]`.
    public var header: String
    /// Both files as they read after the edit.
    public var config: AWSConfig

    /// Reads both files and works out the edit that gives profile `name` exactly the setting
    /// `credential_process = credentialProcess`.
    ///
    /// Throws when a file cannot be read or parsed, when the config file is not a regular file, when `name`
    /// already exists (in either file) and `replace` is false, when `name` is not a writable name
    /// (``profileNameProblem(_:)``), or when botocore would not use the new `credential_process`
    /// (``ConfigError/shadowed(name:key:at:)``).
    public static func prepare(
        files: ConfigFiles, name: String, credentialProcess: String, replace: Bool
    ) throws(ConfigError) -> ProfileEdit {
        let config = try ConfigFileWriter.readForEdit(path: files.configPath)
        let credentials = try readConfigFile(at: files.credentialsPath, limit: AWSConfig.maximumFileSize)
        return try make(
            config: config, credentials: credentials, files: files, name: name,
            credentialProcess: credentialProcess, replace: replace)
    }

    /// ``prepare(files:name:credentialProcess:replace:)`` on file contents (`nil`: no such file).
    static func make(
        config original: [UInt8]?, credentials: [UInt8]?, files: ConfigFiles, name: String,
        credentialProcess: String, replace: Bool
    ) throws(ConfigError) -> ProfileEdit {
        if let reason = profileNameProblem(name) { throw .invalidProfileName(name: name, reason: reason) }
        if credentialProcess.unicodeScalars.contains(where: breaksLine) {
            throw .notCommandSafe(what: "credential_process command", value: credentialProcess)
        }
        let before = try AWSConfig.build(config: original, credentials: credentials, files: files)
        let document = try original.map { bytes throws(ConfigError) in
            try INIParser.parse(bytes, path: files.configPath)
        }
        let own = (document?.sections ?? []).filter { section in
            configProfileName(section.name).map { PythonText.same($0, name) } ?? false
        }
        if !replace, before.profile(named: name) != nil {
            throw .profileExists(
                name: name, at: try definition(of: name, own: own, credentials: credentials, files: files),
                configPath: files.configPath)
        }

        let bytes = original ?? []
        let lines = LineTable(bytes)
        let setting = Array("credential_process = \(credentialProcess)".utf8)
        var updated: [UInt8]
        let header: String
        var replaced: FileLocation?
        if let section = own.last {
            header = "[\(section.name)]"
            replaced = FileLocation(path: files.configPath, line: section.line)
            let indent = lines.indentation(section.levelLine)
            if section.lastLine > section.line {
                let lastLine = lines.lines[section.lastLine - 1]
                updated = Array(bytes[..<lines.lines[section.line - 1].end])
                updated += indent + setting + bytes[lastLine.content.upperBound..<lastLine.end]
                updated += bytes[lastLine.end...]
            } else {
                let headerLine = lines.lines[section.line - 1]
                let ending = Array(bytes[headerLine.content.upperBound..<headerLine.end])
                updated = Array(bytes[..<headerLine.end])
                updated += ending.isEmpty ? lines.newline + indent + setting : indent + setting + ending
                updated += bytes[headerLine.end...]
            }
        } else {
            header = PythonText.same(name, "default") ? "[default]" : "[profile \(name)]"
            updated = bytes
            let endsWithBreak = bytes.last == 0x0A || bytes.last == 0x0D
            if let last = lines.lines.last {
                if !endsWithBreak { updated += lines.newline }
                if !bytes[last.content].allSatisfy(isSpaceByte) { updated += lines.newline }
            }
            updated += Array(header.utf8) + lines.newline + setting
            if bytes.isEmpty || endsWithBreak { updated += lines.newline }
        }

        let after = try readBack(
            updated, document: document, credentials: credentials, files: files, name: name, own: own.last,
            credentialProcess: credentialProcess)
        try checkUsed(after, name: name)
        return ProfileEdit(
            files: files, original: original, updated: updated, replaced: replaced, header: header, config: after)
    }

    /// `PROGRAM credential-process --profile CHAIN`, each word quoted for both readers of the line: botocore
    /// splits it with `shlex.split`, the Go, Java, JavaScript and Rust SDKs hand it to `sh -c`. A word of safe
    /// characters is written as it is; any other in POSIX single quotes, which both read literally. A chain name
    /// that starts with `-` is passed as `--profile=NAME`, so that it cannot be read as an option.
    public static func credentialProcess(program: String, chain: String) throws(ConfigError) -> String {
        if program.unicodeScalars.contains(where: breaksLine) {
            throw .notCommandSafe(what: "path of aws-elevate", value: program)
        }
        if chain.unicodeScalars.contains(where: breaksLine) {
            throw .notCommandSafe(what: "chain profile name", value: chain)
        }
        let words =
            chain.utf8.first == UInt8(ascii: "-")
            ? [program, "credential-process", "--profile=" + chain]
            : [program, "credential-process", "--profile", chain]
        return words.map(Self.commandWord).joined(separator: " ")
    }

    /// `word` as it is when every byte is a letter, a digit or one of `_ . / - : + , @ %`, else single-quoted.
    static func commandWord(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || "_./-:+,@%".utf8.contains(byte)
            }
        // The callers refuse control characters, so there is no NUL to refuse here.
        return plain ? word : shellQuote(word) ?? "''"
    }

    /// Where `name` is defined: the last config section of it, else its credentials file section.
    private static func definition(
        of name: String, own: [INIDocument.Section], credentials: [UInt8]?, files: ConfigFiles
    ) throws(ConfigError) -> FileLocation {
        if let section = own.last { return FileLocation(path: files.configPath, line: section.line) }
        let sections = try credentials.map { bytes throws(ConfigError) in
            try INIParser.parse(bytes, path: files.credentialsPath).sections
        }
        let line = sections?.first(where: { PythonText.same($0.name, name) })?.line ?? 1
        return FileLocation(path: files.credentialsPath, line: line)
    }

    /// Parses the edited file and checks that it says what was meant: the profile's `credential_process` is the
    /// new one, and every other section reads exactly as before.
    private static func readBack(
        _ updated: [UInt8], document: INIDocument?, credentials: [UInt8]?, files: ConfigFiles, name: String,
        own: INIDocument.Section?, credentialProcess: String
    ) throws(ConfigError) -> AWSConfig {
        func fail(_ detail: String) -> ConfigError {
            .unwritable(path: files.configPath, reason: "the edited file would not read back as intended (\(detail))")
        }
        let after: AWSConfig
        let edited: INIDocument
        do {
            after = try AWSConfig.build(config: updated, credentials: credentials, files: files)
            edited = try INIParser.parse(updated, path: files.configPath)
        } catch {
            throw fail(error.problem)
        }
        guard after.configProfile(named: name)?.profile.values["credential_process"] == credentialProcess
        else { throw fail("credential_process differs") }
        var expected = document?.sections ?? []
        var actual = edited.sections
        if let own, let index = expected.firstIndex(where: { $0.line == own.line }) {
            expected.remove(at: index)
            guard index < actual.count else { throw fail("a section is missing") }
            actual.remove(at: index)
        } else {
            guard !actual.isEmpty else { throw fail("no section was added") }
            actual.removeLast()
        }
        let same =
            expected.count == actual.count
            && zip(expected, actual).allSatisfy { old, new in
                PythonText.same(old.name, new.name) && old.entries.count == new.entries.count
                    && zip(old.entries, new.entries).allSatisfy {
                        PythonText.same($0.key, $1.key) && $0.value == $1.value
                    }
            }
        guard same else { throw fail("another section would change") }
        return after
    }

    /// Fails when botocore would take the profile's credentials from somewhere before its `credential_process`:
    /// in botocore's order, an assumed role, a web identity, IAM Identity Center, keys in the credentials file, a
    /// login session.
    private static func checkUsed(_ config: AWSConfig, name: String) throws(ConfigError) {
        guard let profile = config.profile(named: name) else { return }
        let before = [
            "role_arn", "web_identity_token_file", "sso_session", "sso_start_url", "sso_region",
            "sso_account_id", "sso_role_name",
        ]
        for key in before where profile.values[key] != nil || profile.sections[key] != nil {
            throw .shadowed(name: name, key: key, at: config.location(of: key, in: name))
        }
        if let keys = config.credentialsProfile(named: name) {
            for key in ["aws_access_key_id", "aws_secret_access_key"] where keys.locations[key] != nil {
                throw .shadowed(name: name, key: key, at: keys.locations[key])
            }
        }
        if profile.values["login_session"] != nil || profile.sections["login_session"] != nil {
            throw .shadowed(name: name, key: "login_session", at: config.location(of: "login_session", in: name))
        }
    }
}

/// Whether a scalar would end or break a line in some reader of the file: a control character (C0, DEL, C1) or
/// a Unicode line or paragraph separator.
func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
}

/// An ASCII space or tab-like byte; non-ASCII white space is left to ``PythonText/isSpace(_:)``.
private func isSpaceByte(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
}

/// A file's lines with Python's universal newlines, as byte ranges.
private struct LineTable {
    struct Line {
        /// The line without its line break.
        var content: Range<Int>
        /// Where the line break ends (the next line starts).
        var end: Int
    }

    var lines: [Line]
    /// The file's first line break, `\n` when it has none.
    var newline: [UInt8]
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        let ranges = INIParser.lineRanges(bytes).map(\.range)
        lines = ranges.indices.map { index in
            Line(content: ranges[index], end: index + 1 < ranges.count ? ranges[index + 1].lowerBound : bytes.count)
        }
        let first = lines.first(where: { $0.content.upperBound < $0.end })
        newline = first.map { Array(bytes[$0.content.upperBound..<$0.end]) } ?? [0x0A]
    }

    /// Line `number` (from 1) without its line break.
    func content(_ number: Int) -> Range<Int> { lines[number - 1].content }

    /// The white space that starts line `number`, as configparser measures indentation (`str.isspace`).
    func indentation(_ number: Int) -> [UInt8] {
        let text = String(decoding: bytes[content(number)], as: UTF8.self)
        let leading = text.unicodeScalars.prefix(while: PythonText.isSpace)
        return Array(String(String.UnicodeScalarView(leading)).utf8)
    }
}
