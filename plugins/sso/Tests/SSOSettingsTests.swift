import ElevateCore
import ElevateSTS
import Testing

@testable import SSOSource

private let role = ["sso_account_id": "111122223333", "sso_role_name": "Admin"]

private func profile(
    _ values: [String: String], session: [String: String]? = nil, services: [String: [String: String]]? = nil
) -> Profile {
    Profile(name: "dev", values: values, serviceSettings: services, ssoSession: session)
}

private func settings(_ profile: Profile, _ environment: [String: String] = ["HOME": "/home/u"]) throws(SSOSourceError)
    -> SSOSettings
{
    try SSOSettings(profile: profile, environment: environment, retry: RetryPolicy(maxAttempts: 3))
}

private func failure(_ profile: Profile, _ environment: [String: String] = [:]) -> SSOSourceError? {
    do {
        _ = try settings(profile, environment)
        return nil
    } catch {
        return error
    }
}

private let corp = ["sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1"]

@Suite("sso settings")
struct SSOSettingsTests {
    @Test("sso_session takes the start URL and region from its section; the token key is the session name")
    func sessionForm() throws {
        let read = try settings(profile(role.merging(["sso_session": "corp"]) { $1 }, session: corp))
        #expect(read.form == .session("corp"))
        #expect(read.tokenKey == "corp")
        #expect(read.startURL == "https://corp.awsapps.com/start" && read.region == "eu-west-1")
        #expect(read.accountId == "111122223333" && read.roleName == "Admin")
        #expect(read.portal.url == "https://portal.sso.eu-west-1.amazonaws.com/")
        #expect(read.oidc.url == "https://oidc.eu-west-1.amazonaws.com/")
        #expect(read.tokenDirectory == "/home/u/.aws/sso/cache")
        #expect(read.retry.maxAttempts == 3)
    }

    @Test("the legacy form keys the token by the start URL")
    func legacyForm() throws {
        let read = try settings(profile(role.merging(corp) { $1 }))
        #expect(read.form == .legacy)
        #expect(read.tokenKey == "https://corp.awsapps.com/start")
    }

    @Test("missing settings are listed in botocore's order")
    func missing() {
        #expect(
            failure(profile(["sso_role_name": "Admin"]))
                == .missingSettings(profile: "dev", missing: ["sso_account_id", "sso_start_url", "sso_region"]))
        let error = failure(profile(["sso_account_id": "1", "sso_session": "corp"], session: ["sso_region": "x"]))
        #expect(error == .missingSettings(profile: "dev", missing: ["sso_role_name", "sso_start_url"]))
        #expect(error?.category == .configuration)
        #expect(error?.problem.contains("is missing required configuration: sso_role_name, sso_start_url") == true)
    }

    @Test("an sso_session without its section is an error")
    func noSection() {
        let error = failure(profile(role.merging(["sso_session": "nope"]) { $1 }))
        #expect(error == .noSuchSession("nope"))
        #expect(error?.problem == "the sso-session 'nope' does not exist in the config file")
    }

    @Test("a setting the profile and the session give different values is refused, the same value is fine")
    func inconsistent() throws {
        var values = role.merging(["sso_session": "corp", "sso_region": "us-east-1"]) { $1 }
        #expect(
            failure(profile(values, session: corp))
                == .inconsistent(key: "sso_region", profileValue: "us-east-1", sessionValue: "eu-west-1"))
        values["sso_region"] = "eu-west-1"
        #expect(try settings(profile(values, session: corp)).region == "eu-west-1")
        // Compared code point by code point, as Python compares them: é and e + U+0301 differ.
        let session = ["sso_start_url": "https://corp.awsapps.com/start", "sso_region": "eu-west-1", "x": "\u{E9}"]
        values["x"] = "e\u{301}"
        #expect(
            failure(profile(values, session: session))
                == .inconsistent(key: "x", profileValue: "e\u{301}", sessionValue: "\u{E9}"))
    }

    @Test("the session section itself must hold sso_start_url and sso_region, as botocore's token provider reads")
    func incompleteSession() {
        let values = role.merging(["sso_session": "corp", "sso_region": "eu-west-1"]) { $1 }
        #expect(
            failure(profile(values, session: ["sso_start_url": "https://corp.awsapps.com/start"]))
                == .incompleteSession("corp", missing: ["sso_region"]))
    }

    @Test("an empty value, a bad region or a sub-section is a configuration error")
    func badValues() {
        #expect(
            failure(profile(role.merging(corp) { $1 }.merging(["sso_role_name": ""]) { $1 }))?.category
                == .configuration)
        let region = failure(profile(role.merging(corp) { $1 }.merging(["sso_region": "eu west"]) { $1 }))
        guard case .invalidSetting(_, "sso_region", "eu west", _)? = region else {
            Issue.record("got \(String(describing: region))")
            return
        }
        let nested = Profile(name: "dev", values: role.merging(corp) { $1 }, sections: ["sso_start_url": [:]])
        #expect(failure(nested) == .notAValue(profile: "dev", key: "sso_start_url"))
    }

    @Test("endpoints: AWS_ENDPOINT_URL_SSO, then AWS_ENDPOINT_URL, then [services] sso, then endpoint_url")
    func endpointPrecedence() throws {
        let services = [
            "sso": ["endpoint_url": "http://127.0.0.1:3"], "sso_oidc": ["endpoint_url": "http://127.0.0.1:4"],
        ]
        var values = role.merging(corp) { $1 }
        values["endpoint_url"] = "http://127.0.0.1:5"
        values["services"] = "local"
        let base = profile(values, services: services)
        let all = [
            "HOME": "/h", "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:1",
            "AWS_ENDPOINT_URL_SSO_OIDC": "http://127.0.0.1:6",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:2",
        ]
        var read = try settings(base, all)
        #expect(read.portal.url == "http://127.0.0.1:1/" && read.portal.source == "AWS_ENDPOINT_URL_SSO")
        #expect(read.oidc.url == "http://127.0.0.1:6/" && read.oidc.source == "AWS_ENDPOINT_URL_SSO_OIDC")
        var environment = all
        environment["AWS_ENDPOINT_URL_SSO"] = nil
        environment["AWS_ENDPOINT_URL_SSO_OIDC"] = nil
        read = try settings(base, environment)
        #expect(read.portal.url == "http://127.0.0.1:2/" && read.oidc.url == "http://127.0.0.1:2/")
        read = try settings(base, ["HOME": "/h"])
        #expect(read.portal.url == "http://127.0.0.1:3/" && read.oidc.url == "http://127.0.0.1:4/")
        values["services"] = nil
        read = try settings(profile(values), ["HOME": "/h"])
        #expect(read.portal.url == "http://127.0.0.1:5/" && read.portal.source == "endpoint_url in profile 'dev'")
        read = try settings(base, all.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 })
        #expect(read.portal.url == "https://portal.sso.eu-west-1.amazonaws.com/" && read.portal.source == "regional")
    }

    @Test("a China region uses amazonaws.com.cn; a bad endpoint URL is a configuration error")
    func chinaAndBadURL() throws {
        let read = try settings(profile(role.merging(corp) { $1 }.merging(["sso_region": "cn-north-1"]) { $1 }))
        #expect(read.portal.url == "https://portal.sso.cn-north-1.amazonaws.com.cn/")
        let error = failure(profile(role.merging(corp) { $1 }), ["AWS_ENDPOINT_URL_SSO": "ftp://x"])
        guard case .setting(_, .invalidSetting(let name, _, _))? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(name == "AWS_ENDPOINT_URL_SSO")
    }
}
