import ElevateCache
import ElevateConfig
import ElevateCore
import Foundation
import Logging
import Testing

@testable import ElevateCommands

@Suite("explain: masking")
struct MaskingTests {
    @Test(
        "secret keys, session tokens and other secret-like settings are hidden; files and ids are not",
        arguments: [
            ("aws_secret_access_key", true), ("aws_session_token", true), ("aws_security_token", true),
            ("AWS_Secret_Access_Key", true), ("sso_client_secret", true), ("db_password", true),
            ("authorization_token", true), ("private_key", true), ("signing_key", true),
            ("web_identity_token_file", false), ("role_arn", false), ("credential_process", false),
            ("aws_access_key_id", false), ("external_id", false), ("mfa_serial", false), ("region", false),
        ])
    func secretKeys(key: String, secret: Bool) {
        #expect(Masking.isSecret(key: key) == secret)
        #expect((Masking.mask(key: key, value: "v4lue") == nil) == secret)
    }

    @Test("an access key id shows its last four characters only, as --debug shows it")
    func keyIds() {
        #expect(Masking.mask(key: "aws_access_key_id", value: "AKIAIOSFODNN7EXAMPLE") == "****MPLE")
        #expect(Masking.mask(key: "access_key_id", value: "ASIAIOSFODNN7EXAMPLE") == "****MPLE")
    }

    @Test("a key id inside another value (a command line) is masked too; other words stay")
    func keyIdsInValues() {
        let command = "/bin/helper --key AKIAIOSFODNN7EXAMPLE --user AKIAIOSFODNN7EXAMPLEX ARN"
        #expect(
            Masking.mask(key: "credential_process", value: command)
                == "/bin/helper --key ****MPLE --user AKIAIOSFODNN7EXAMPLEX ARN")
        #expect(Masking.mask(key: "role_arn", value: "arn:aws:iam::123456789012:role/x") == "arn:aws:iam::123456789012:role/x")
    }

    @Test("hostile values are shown on one line, in quotes, cut at 200 characters")
    func hostileValues() {
        let shown = Masking.display(Masking.mask(key: "role_session_name", value: "a\nforged line\r\u{1B}[31m"))
        #expect(shown == "'a?forged line??[31m'")
        let long = Masking.display(Masking.mask(key: "region", value: String(repeating: "x", count: 500)))
        #expect(long.unicodeScalars.count == 202 && long.hasSuffix("...'"))
        #expect(Masking.display(nil) == "(hidden)")
    }
}

@Suite("explain: the report")
struct ExplanationTests {
    static let config = """
        [profile app-chain]
        role_arn = arn:aws:iam::123456789012:role/app
        source_profile = base
        role_session_name = session
        output = js\u{7}on
        s3 =
          addressing_style = path

        """
    static let credentials = """
        [base]
        aws_access_key_id = AKIAIOSFODNN7EXAMPLE
        aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
        aws_session_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN

        """

    func explanation(preview: Result<CachePreview, CacheError>? = nil) throws -> Explanation {
        let files = ConfigFiles(configPath: "/h/.aws/config", credentialsPath: "/h/.aws/credentials")
        let config = try AWSConfig.parse(config: Self.config, credentials: Self.credentials, files: files)
        let environment = [
            "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "HOME": "/h",
        ]
        let context = RunContext(environment: environment, logger: Logger(label: "test"))
        let plan = try ProfileResolver(
            config: config, registry: BuiltinPlugins.registry(), environment: context.environment, isSelf: { _ in false }
        ).plan(for: "app-chain").bind(context: context)
        let settings = CacheSettings(mode: .file, modeSource: "AWS_ELEVATE_CACHE", directory: "/c", keyPath: "/k")
        let key = try CacheKey(profile: "app-chain", steps: [])
        let cached = CachePreview(
            settings: settings, derivation: .cached(key: key, role: "arn:aws:iam::123456789012:role/app"),
            backend: .file(why: "AWS_ELEVATE_CACHE=file"), filePath: "/c/v1-\(key.digest).session", entry: nil,
            isFresh: false, refreshMargin: nil, notes: [])
        return Explanation(plan: plan, config: config, context: context, preview: preview ?? .success(cached))
    }

    @Test("each step lists its settings in file order with the file and line each came from; no secret appears")
    func text() throws {
        let text = try explanation().text
        let digest = try CacheKey(profile: "app-chain", steps: []).digest
        #expect(
            text == """
                profile 'app-chain': profile(base) → assume-role(app-chain)

                source: profile (profile 'base')
                  aws_access_key_id = '****MPLE'    at /h/.aws/credentials:2
                  aws_secret_access_key = (hidden)  at /h/.aws/credentials:3
                  aws_session_token = (hidden)      at /h/.aws/credentials:4
                  cache identity: access_key_id='****MPLE'

                hop 1: assume-role (profile 'app-chain')
                  role_arn = 'arn:aws:iam::123456789012:role/app'  at /h/.aws/config:2
                  source_profile = 'base'                          at /h/.aws/config:3
                  role_session_name = 'session'                    at /h/.aws/config:4
                  output = 'js?on'                                 at /h/.aws/config:5
                  s3.addressing_style = 'path'                     at /h/.aws/config:6
                  cache identity: endpoint='https://sts.eu-west-1.amazonaws.com/', region='eu-west-1', role_arn='arn:aws:iam::123456789012:role/app', role_session_name='session'

                environment (AWS_* variables; where a plugin reads one, it wins over the files):
                  AWS_ACCESS_KEY_ID = '****MPLE'
                  AWS_REGION = 'eu-west-1'
                  AWS_SESSION_TOKEN = (hidden)

                cache: mode file (AWS_ELEVATE_CACHE)
                  key: v1:\(digest)
                  backend: file: AWS_ELEVATE_CACHE=file
                  file: '/c/v1-\(digest).session'
                  session: none cached; a run fetches one

                """)
        for secret in ["wJalrXUtnFEMI", "IQoJb3JpZ2lu", "AKIAIOSFODNN7"] { #expect(!text.contains(secret)) }
    }

    @Test("--json is one object on one line, with the same masking and the file and line apart")
    func json() throws {
        let json = try explanation().json
        #expect(json.hasSuffix("}\n") && json.dropLast().allSatisfy { $0 != "\n" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let steps = try #require(object["steps"] as? [[String: Any]])
        let settings = try #require(steps[0]["settings"] as? [[String: Any]])
        #expect(settings[0]["value"] as? String == "****MPLE")
        #expect(settings[1]["value"] is NSNull && settings[1]["hidden"] as? Bool == true)
        #expect(settings[1]["file"] as? String == "/h/.aws/credentials" && settings[1]["line"] as? Int == 3)
        let environment = try #require(object["environment"] as? [[String: Any]])
        #expect(environment.map { $0["name"] as? String } == ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_SESSION_TOKEN"])
        #expect(environment[2]["value"] is NSNull && environment[2]["hidden"] as? Bool == true)
        let cache = try #require(object["cache"] as? [String: Any])
        #expect(cache["key"] as? String == (try CacheKey(profile: "app-chain", steps: []).digest))
        for secret in ["wJalrXUtnFEMI", "IQoJb3JpZ2lu", "AKIAIOSFODNN7"] { #expect(!json.contains(secret)) }
    }

    @Test("a cached session shows its time left and whether a run would refresh it")
    func session() throws {
        let now = Date()
        let key = try CacheKey(profile: "app-chain", steps: [])
        let entry = CacheEntry(
            key: key.name, profile: "app-chain", role: "r",
            credentials: Credentials(
                accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", sessionToken: "t",
                expiration: now.addingTimeInterval(3000)),
            fetchedAt: now)
        let preview = CachePreview(
            settings: CacheSettings(mode: .auto, modeSource: "default", directory: "/c", keyPath: "/k"),
            derivation: .cached(key: key, role: "r"), backend: .keyring(why: "auto: found in the keyring"),
            filePath: nil, entry: entry, isFresh: true, refreshMargin: 900, notes: [])
        let text = try explanation(preview: .success(preview)).text
        #expect(text.contains("  backend: keyring: auto: found in the keyring\n"))
        #expect(text.contains("  session: 49m left (expires \(Timestamp.format(entry.expiration))); served without a request, refreshed when 15m are left\n"))
    }

    @Test("a cache a run would stop on is shown with the run's problem and remedy")
    func failure() throws {
        let text = try explanation(preview: .failure(.insecurePermissions(path: "/c", mode: 0o40755, isDirectory: true))).text
        #expect(text.hasSuffix("cache: a run would stop: the cache directory '/c' is accessible by group or others (mode 0755) — run: chmod 700 '/c'\n"))
    }
}
