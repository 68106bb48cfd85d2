import ElevateCore
import Foundation
import Testing

@testable import ElevateConfig

private let files = ConfigFiles(configPath: "/home/me/.aws/config", credentialsPath: "/home/me/.aws/credentials")
private let command = "aws-elevate credential-process --profile admin-chain"
private let line = "credential_process = " + command

/// The edit that writes profile `name` into `config`, as text.
private func edited(
    _ config: String?, credentials: String? = nil, name: String = "admin", replace: Bool = false
) throws -> ProfileEdit {
    try ProfileEdit.make(
        config: config.map { Array($0.utf8) }, credentials: credentials.map { Array($0.utf8) }, files: files,
        name: name, credentialProcess: command, replace: replace)
}

private func text(_ edit: ProfileEdit) -> String { String(decoding: edit.updated, as: UTF8.self) }

private func failure(
    _ config: String?, credentials: String? = nil, name: String = "admin", replace: Bool = false
) throws -> ConfigError {
    try #require(throws: ConfigError.self) {
        try edited(config, credentials: credentials, name: name, replace: replace)
    }
}

/// The words `sh -c` gives the program of `command`: each printed by `printf '%s\0'`, which replaces the program.
private func wordsOfShell(_ command: String) throws -> [String] {
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", "printf '%s\\0' " + command]
    let output = Pipe()
    shell.standardOutput = output
    try shell.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    shell.waitUntilExit()
    return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
        String(decoding: $0, as: UTF8.self)
    }
}

@Suite("setup's edit of the config file")
struct ProfileEditTests {
    // MARK: Adding a section

    @Test("a new profile is added at the end, after an empty line, and the file's bytes before it stay")
    func appends() throws {
        let original = "# my profiles\n[profile a]\nregion = eu-west-1\n"
        let edit = try edited(original)
        #expect(text(edit) == original + "\n[profile admin]\n\(line)\n")
        #expect(edit.replaced == nil)
        #expect(edit.header == "[profile admin]")
        #expect(edit.config.profile(named: "admin")?["credential_process"] == command)
    }

    @Test("a file that ends with an empty line gets no second one")
    func endsWithEmptyLine() throws {
        let original = "[profile a]\nregion = x\n\n"
        #expect(text(try edited(original)) == original + "[profile admin]\n\(line)\n")
    }

    @Test("CRLF line endings: the new lines end in CRLF too")
    func crlf() throws {
        let original = "[profile a]\r\nregion = x\r\n"
        #expect(text(try edited(original)) == original + "\r\n[profile admin]\r\n\(line)\r\n")
    }

    @Test("a lone CR, as Python's universal newlines read it, is the line ending used")
    func loneCR() throws {
        let original = "[profile a]\rregion = x\r"
        #expect(text(try edited(original)) == original + "\r[profile admin]\r\(line)\r")
    }

    @Test("a file without a final line break keeps ending without one")
    func noFinalNewline() throws {
        let original = "[profile a]\r\nregion = x"
        #expect(text(try edited(original)) == original + "\r\n\r\n[profile admin]\r\n\(line)")
    }

    @Test("no file, or an empty one, becomes the one section")
    func emptyFile() throws {
        #expect(text(try edited(nil)) == "[profile admin]\n\(line)\n")
        #expect(text(try edited("")) == "[profile admin]\n\(line)\n")
        #expect(try edited(nil).original == nil)
    }

    @Test("the profile default is written as [default], as botocore reads the config file")
    func defaultHeader() throws {
        let edit = try edited("[profile a]\nregion = x\n", name: "default")
        #expect(text(edit) == "[profile a]\nregion = x\n\n[default]\n\(line)\n")
        #expect(edit.config.profile(named: "default")?["credential_process"] == command)
    }

    @Test("a name that only starts like the profile's ([profile admin-x]) is another profile")
    func similarName() throws {
        let original = "[profile admin-x]\nregion = x\n[profile xadmin]\nregion = y\n"
        #expect(text(try edited(original)) == original + "\n[profile admin]\n\(line)\n")
    }

    @Test("a profile named in the credentials file only exists: refused without replace, at its line there")
    func credentialsOnlyExists() throws {
        let error = try failure("[profile a]\nregion = x\n", credentials: "[other]\nregion = y\n[admin]\nregion = x\n")
        #expect(
            error
                == .profileExists(
                    name: "admin", at: FileLocation(path: files.credentialsPath, line: 3), configPath: files.configPath)
        )
        #expect(error.remedy.hasPrefix("add --force to give it a section in '\(files.configPath)' as well"))
    }

    @Test("with replace, a credentials-file-only profile without keys gets its config section added")
    func credentialsOnlyReplaced() throws {
        let original = "[profile a]\nregion = x\n"
        let edit = try edited(original, credentials: "[admin]\nregion = eu-west-1\n", replace: true)
        #expect(text(edit) == original + "\n[profile admin]\n\(line)\n")
        #expect(edit.replaced == nil)
    }

    @Test("keys in the credentials file come before credential_process in botocore: refused even with replace")
    func credentialsKeysShadow() throws {
        let error = try failure(
            nil, credentials: "[admin]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n", replace: true)
        #expect(
            error
                == .shadowed(
                    name: "admin", key: "aws_access_key_id", at: FileLocation(path: files.credentialsPath, line: 2)))
    }

    @Test("a role_arn every section inherits from [DEFAULT] would win over the new credential_process")
    func defaultSectionShadows() throws {
        let error = try failure("[DEFAULT]\nrole_arn = arn:aws:iam::1:role/x\n[profile a]\nregion = x\n")
        guard case .shadowed(_, let key, let at) = error else {
            Issue.record("expected .shadowed, got \(error)")
            return
        }
        #expect(key == "role_arn")
        #expect(at == FileLocation(path: files.configPath, line: 2))
    }

    // MARK: Replacing a section

    @Test("an existing profile is refused without replace, naming its header line")
    func existsRefused() throws {
        let error = try failure("[profile a]\nregion = x\n\n[profile admin]\nrole_arn = arn:aws:iam::1:role/x\n")
        #expect(
            error
                == .profileExists(
                    name: "admin", at: FileLocation(path: files.configPath, line: 4), configPath: files.configPath))
        #expect(error.remedy.hasPrefix("add --force to replace its settings in '\(files.configPath)'"))
    }

    @Test("replacing keeps the header and everything outside the section's lines, byte for byte")
    func replaces() throws {
        let original = """
            # before\r
            [profile admin-x]\r
            region = a\r
            ; about admin\r
            [profile admin]  \r
            role_arn = arn:aws:iam::1:role/x\r
            # inside\r
            source_profile = base\r
            \r
            # after admin\r
            [profile base]\r
            region = b
            """
        let edit = try edited(original, replace: true)
        #expect(
            text(edit) == """
                # before\r
                [profile admin-x]\r
                region = a\r
                ; about admin\r
                [profile admin]  \r
                \(line)\r
                \r
                # after admin\r
                [profile base]\r
                region = b
                """)
        #expect(edit.replaced == FileLocation(path: files.configPath, line: 5))
        #expect(edit.header == "[profile admin]")
    }

    @Test("a section at the end of a file without a final line break is replaced without adding one")
    func replacesAtEnd() throws {
        let original = "[profile a]\nregion = x\n[profile admin]\nregion = y\nrole_arn = z"
        #expect(text(try edited(original, replace: true)) == "[profile a]\nregion = x\n[profile admin]\n\(line)")
    }

    @Test("a section that is only a header gets the setting under it")
    func headerOnly() throws {
        #expect(
            text(try edited("[profile admin]\n[profile b]\nregion = x\n", replace: true))
                == "[profile admin]\n\(line)\n[profile b]\nregion = x\n")
        #expect(
            text(try edited("[profile b]\nregion = x\n[profile admin]", replace: true))
                == "[profile b]\nregion = x\n[profile admin]\n\(line)")
    }

    @Test("indented lines that continue a value belong to the section and are replaced with it")
    func continuations() throws {
        let original =
            "[profile admin]\ns3 =\n  max_concurrent_requests = 1\n\n  addressing_style = path\n"
            + "# end\n[profile b]\nregion = x\n"
        #expect(
            text(try edited(original, replace: true)) == "[profile admin]\n\(line)\n# end\n[profile b]\nregion = x\n")
    }

    @Test("an indented header line is kept, and the setting is indented like the section's last setting")
    func leadingWhitespace() throws {
        let original = "  [profile admin]\n  region = x\n[profile b]\nregion = y\n"
        #expect(
            text(try edited(original, replace: true))
                == "  [profile admin]\n  \(line)\n[profile b]\nregion = y\n")
    }

    @Test("the lines after the section are read as before: a header indented less than the last setting stays a header")
    func indentationOfFollowingLines() throws {
        // configparser reads a line indented deeper than the last setting as its continuation: written at the
        // header's indentation (0), the setting would swallow "  [profile b]".
        let original = "[profile admin]\n    region = x\n  [profile b]\n  region = y\n"
        let edit = try edited(original, replace: true)
        #expect(text(edit) == "[profile admin]\n    \(line)\n  [profile b]\n  region = y\n")
        #expect(edit.config.profile(named: "b")?["region"] == "y")
    }

    @Test("a [DEFAULT] block after the section is not part of it")
    func defaultBlockAfter() throws {
        let original = "[profile admin]\nrole_arn = x\n[DEFAULT]\nregion = eu-west-1\n"
        #expect(
            text(try edited(original, replace: true)) == "[profile admin]\n\(line)\n[DEFAULT]\nregion = eu-west-1\n")
    }

    @Test("with [default] and [profile default] both present, botocore uses the later one, which is edited")
    func twoDefaultSections() throws {
        let original = "[default]\nregion = a\n\n[profile default]\nregion = b\n"
        let edit = try edited(original, name: "default", replace: true)
        #expect(text(edit) == "[default]\nregion = a\n\n[profile default]\n\(line)\n")
        #expect(edit.header == "[profile default]")
    }

    @Test("a quoted header ([profile \"admin\"]) names the profile and is kept as written")
    func quotedHeader() throws {
        let edit = try edited("[profile \"admin\"]\nregion = x\n", replace: true)
        #expect(text(edit) == "[profile \"admin\"]\n\(line)\n")
    }

    // MARK: Refusals

    @Test("a file that is not valid INI is refused with the parser's error")
    func brokenFile() throws {
        let error = try failure("[profile a]\nregion = x\nthis line is broken\n")
        #expect(error == .missingDelimiter(FileLocation(path: files.configPath, line: 3)))
    }

    @Test(
        "names that cannot be written unquoted in every reader are refused",
        arguments: [
            ("a b", "white space"), ("a\tb", "a control character"), ("a]", "a bracket"), ("[a", "a bracket"),
            ("it's", "a quote"), ("a\"b", "a quote"), ("a\\b", "a backslash"),
            ("a\u{200B}b", "an invisible formatting character"),
            ("a\u{3000}b", "white space"), ("a\u{85}b", "a control character"), ("", "no characters"),
        ])
    func invalidNames(name: String, reason: String) throws {
        #expect(profileNameProblem(name) == reason)
        if !name.isEmpty {
            #expect(try failure(nil, name: name) == .invalidProfileName(name: name, reason: reason))
        }
    }

    @Test(
        "ordinary names are accepted",
        arguments: ["admin", "default", "DEFAULT", "prod/admin", "é-admin", "a=b", "x$y"])
    func validNames(name: String) throws {
        #expect(profileNameProblem(name) == nil)
        #expect(try edited(nil, name: name).config.profile(named: name)?["credential_process"] == command)
    }

    // MARK: The credential_process line

    @Test("plain words are written as they are")
    func plainCommand() throws {
        #expect(
            try ProfileEdit.credentialProcess(program: "/usr/local/bin/aws-elevate", chain: "admin-chain")
                == "/usr/local/bin/aws-elevate credential-process --profile admin-chain")
    }

    @Test(
        "a path with spaces is single-quoted, which shlex.split and sh -c both read back",
        arguments: [
            ("/opt/my tools/aws-elevate", "admin-chain"), ("/home/o'brien/bin/aws-elevate", "it's"),
            ("/x/$(echo injected)/aws-elevate", "`echo injected`"), ("/x/a\\b/aws-elevate", "a\\b c"),
            ("/é/aws-elevate", "é"),
            ("/x/aws-elevate", "-dash"), ("/x/aws-elevate", "--profile"), ("/x/~/aws-elevate", "~root"),
            ("/x/a=b/aws-elevate", "a=b"), ("/x/*/aws-elevate", "a;b|c&d>e"),
        ])
    func quoting(program: String, chain: String) throws {
        let command = try ProfileEdit.credentialProcess(program: program, chain: chain)
        let profile = chain.hasPrefix("-") ? ["--profile=" + chain] : ["--profile", chain]
        #expect(shellWords(command) == [program, "credential-process"] + profile)
        #expect(try wordsOfShell(command) == [program, "credential-process"] + profile)
        // The line reads back the same from the config file (configparser strips only its ends).
        let edit = try ProfileEdit.make(
            config: nil, credentials: nil, files: files, name: "admin", credentialProcess: command, replace: false)
        #expect(edit.config.profile(named: "admin")?["credential_process"] == command)
    }

    @Test(
        "a line break or control character in the path or the chain name is refused",
        arguments: [
            ("/x\n/aws-elevate", "c", "path of aws-elevate"), ("/x/aws-elevate", "c\rd", "chain profile name"),
            ("/x\u{1}/aws-elevate", "c", "path of aws-elevate"), ("/x/aws-elevate", "c\u{2028}", "chain profile name"),
        ])
    func unsafeCommand(program: String, chain: String, what: String) throws {
        let error = try #require(throws: ConfigError.self) {
            try ProfileEdit.credentialProcess(program: program, chain: chain)
        }
        guard case .notCommandSafe(let named, _) = error else {
            Issue.record("expected .notCommandSafe, got \(error)")
            return
        }
        #expect(named == what)
    }
}
