import ElevateConfig
import ElevateCore
import Testing

@testable import ElevateCommands

@Suite("doctor")
struct DoctorTests {
    @Test("the table aligns its columns, puts the remedy on every warn and FAIL line, and sums up")
    func table() {
        let rows = [
            DoctorRow.ok("config file", "'/h/.aws/config' parses"),
            DoctorRow(check: "profile 'x'", status: .fail, detail: "it broke", remedy: "fix it"),
            DoctorRow(check: "shell hook", status: .warn, detail: "no hook", remedy: "add it"),
            DoctorRow.skip("instance metadata", "not checked"),
        ]
        #expect(
            Doctor.render(rows) == """
                CHECK              STATUS  DETAIL
                config file        ok      '/h/.aws/config' parses
                profile 'x'        FAIL    it broke — fix it
                shell hook         warn    no hook — add it
                instance metadata  skip    not checked

                1 check failed, 1 warning

                """)
        #expect(Doctor.render([.ok("a", "b")]).hasSuffix("\nall checks passed\n"))
    }

    @Test("the rows are the providers' rows in order: a new check (shadowed process plugins) is one more provider")
    func providers() {
        struct Fixed: DoctorRowProvider {
            var row: DoctorRow
            func rows(_ context: DoctorContext) -> [DoctorRow] { [row] }
        }
        let pipeline = Pipeline(
            registry: BuiltinPlugins.registry(),
            environment: ["AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/c"],
            logger: .init(label: "t"), mayPrompt: false)
        let context = DoctorContext(pipeline: pipeline)
        let (first, second) = (DoctorRow.ok("first", "a"), DoctorRow.skip("second", "b"))
        #expect(Doctor.rows(context, providers: [Fixed(row: first), Fixed(row: second)]) == [first, second])
        #expect(
            Doctor.providers.map { String(describing: type(of: $0)) } == [
                "ConfigFilesRows", "ProfileRows", "CacheFilesRows", "KeyringRows", "IMDSRows", "ShellHookRows",
            ])
    }

    @Test("a hostile detail stays on its line")
    func hostile() {
        let text = Doctor.render([DoctorRow(check: "profile 'a\nb'", status: .fail, detail: "x\ry", remedy: "z\n")])
        #expect(text.split(separator: "\n").count == 3)
    }

    @Test(
        "the shell hook is the eval line of README and make install, or a source of the installed file; not a comment",
        arguments: [
            ("eval \"$(aws-elevate shell-init bash)\"\n", 1),
            ("export A=1\n  eval \"$(aws-elevate shell-init zsh)\"\n", 2),
            (". /usr/local/share/aws-elevate/aws-elevate.sh\n", 1),
            ("# eval \"$(aws-elevate shell-init bash)\"\n", nil),
            ("alias x=aws-elevate\n", nil),
        ])
    func hookLine(text: String, line: Int?) {
        #expect(ShellHookRows.hookLine(in: Array(text.utf8)) == line)
    }

    @Test("a profile row carries the real error's problem and remedy; a profile for SDKs passes")
    func profileRows() throws {
        let files = ConfigFiles(configPath: "/h/config", credentialsPath: "/h/credentials")
        let config = try AWSConfig.parse(
            config: """
                [profile broken]
                role_arn = arn:aws:iam::123456789012:role/x

                [profile app]
                credential_process = aws-elevate credential-process --profile broken

                [profile settings-only]
                region = eu-west-1

                """, credentials: "", files: files)
        let pipeline = Pipeline(
            registry: BuiltinPlugins.registry(), environment: [:], logger: .init(label: "t"), mayPrompt: false)
        var context = DoctorContext(pipeline: pipeline)
        context.config = .success(config)
        context.profiles = config.profileNames.map { name in
            (name, Result { try pipeline.plan(for: name, in: config) })
        }
        let rows = ProfileRows().rows(context)
        #expect(rows.map(\.check) == ["profile 'app'", "profile 'broken'", "profile 'settings-only'"])
        #expect(rows.map(\.status) == [.ok, .fail, .warn])
        let real = try #require(
            Result { try pipeline.plan(for: "broken", in: config) }.failure as? any ElevateFailure)
        #expect(rows[1].detail == real.problem && rows[1].remedy == real.remedy)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
