import ElevateCore
import ElevateSTS
import Testing

private func resolve(
    _ environment: [String: String] = [:],
    _ values: [String: String] = [:],
    machineRegion: String? = nil
) throws(STSError) -> STSConfiguration {
    try STSConfiguration.resolve(
        environment: environment, profile: Profile(name: "hop", values: values), machineRegion: machineRegion)
}

@Suite("STS endpoint, region and CA bundle resolution")
struct STSConfigurationTests {
    @Test("with nothing configured: the regional endpoint of us-east-1")
    func defaults() throws {
        let configuration = try resolve()
        #expect(configuration.endpoint.url == "https://sts.us-east-1.amazonaws.com/")
        #expect(configuration.endpoint.host == "sts.us-east-1.amazonaws.com")
        #expect(configuration.endpoint.source == "regional")
        #expect(configuration.region == "us-east-1")
        #expect(configuration.regionSource == "default")
        #expect(configuration.caBundlePath == nil)
    }

    @Test("region precedence: AWS_REGION, AWS_DEFAULT_REGION, profile region, machine region, us-east-1")
    func regionPrecedence() throws {
        let all = ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"]
        let profile = ["region": "eu-west-3"]
        #expect(try resolve(all, profile, machineRegion: "ap-south-1").region == "eu-west-1")
        #expect(
            try resolve(["AWS_DEFAULT_REGION": "eu-west-2"], profile, machineRegion: "ap-south-1").region
                == "eu-west-2")
        #expect(try resolve([:], profile, machineRegion: "ap-south-1").region == "eu-west-3")
        #expect(try resolve([:], [:], machineRegion: "ap-south-1").region == "ap-south-1")
        #expect(try resolve([:], [:], machineRegion: "ap-south-1").regionSource == "instance metadata region")
        #expect(try resolve(["AWS_REGION": ""], ["region": ""]).region == "us-east-1", "empty counts as unset")
        #expect(try resolve([:], profile).regionSource == "region in profile 'hop'")
    }

    @Test("the regional endpoint follows the region; China regions use amazonaws.com.cn")
    func regionalEndpoint() throws {
        #expect(try resolve(["AWS_REGION": "eu-central-1"]).endpoint.url == "https://sts.eu-central-1.amazonaws.com/")
        #expect(try resolve(["AWS_REGION": "cn-north-1"]).endpoint.url == "https://sts.cn-north-1.amazonaws.com.cn/")
    }

    @Test("endpoint precedence: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's endpoint_url")
    func endpointPrecedence() throws {
        let environment = [
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1001", "AWS_ENDPOINT_URL": "http://127.0.0.1:1002",
        ]
        let profile = ["endpoint_url": "http://127.0.0.1:1003"]
        #expect(try resolve(environment, profile).endpoint.url == "http://127.0.0.1:1001/")
        #expect(try resolve(environment, profile).endpoint.source == "AWS_ENDPOINT_URL_STS")
        #expect(
            try resolve(["AWS_ENDPOINT_URL": "http://127.0.0.1:1002"], profile).endpoint.url
                == "http://127.0.0.1:1002/")
        #expect(try resolve([:], profile).endpoint.url == "http://127.0.0.1:1003/")
        #expect(try resolve([:], profile).endpoint.source == "endpoint_url in profile 'hop'")
        #expect(try resolve(["AWS_ENDPOINT_URL_STS": ""], profile).endpoint.url == "http://127.0.0.1:1003/")
    }

    @Test("a [services] section's sts endpoint_url comes after AWS_ENDPOINT_URL and before the profile's, as in botocore")
    func servicesEndpoint() throws {
        func profile(_ settings: [String: [String: String]]?) -> Profile {
            Profile(name: "hop", values: ["services": "local", "endpoint_url": "http://127.0.0.1:1003"],
                    serviceSettings: settings)
        }
        let local = profile(["sts": ["endpoint_url": "http://127.0.0.1:1004"], "s3": ["endpoint_url": "http://x"]])
        func resolve(_ environment: [String: String], _ profile: Profile) throws(STSError) -> STSConfiguration {
            try STSConfiguration.resolve(environment: environment, profile: profile)
        }
        #expect(try resolve([:], local).endpoint.url == "http://127.0.0.1:1004/")
        #expect(try resolve([:], local).endpoint.source == "endpoint_url of sts in [services local]")
        #expect(try resolve(["AWS_ENDPOINT_URL": "http://127.0.0.1:1002"], local).endpoint.url
                == "http://127.0.0.1:1002/")
        #expect(try resolve(["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1001"], local).endpoint.url
                == "http://127.0.0.1:1001/")
        // No sts settings (or an empty URL): the profile's own endpoint_url.
        #expect(try resolve([:], profile(["s3": ["endpoint_url": "http://x"]])).endpoint.url == "http://127.0.0.1:1003/")
        #expect(try resolve([:], profile(["sts": ["endpoint_url": ""]])).endpoint.url == "http://127.0.0.1:1003/")
        // A services name without its section fails, but only once it is looked at.
        #expect(throws: STSError.self) { try resolve([:], profile(nil)) }
        #expect(try resolve(["AWS_ENDPOINT_URL": "http://127.0.0.1:1002"], profile(nil)).endpoint.url
                == "http://127.0.0.1:1002/")
        #expect(try resolve(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_REGION": "eu-west-1"], profile(nil))
                .endpoint.url == "https://sts.eu-west-1.amazonaws.com/")
    }

    @Test("a configured endpoint is signed for the resolved region")
    func configuredEndpointRegion() throws {
        let configuration = try resolve(["AWS_ENDPOINT_URL": "http://localhost:5000"], ["region": "eu-west-1"])
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.endpoint.host == "localhost:5000")
    }

    @Test("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile key) ignores every configured endpoint")
    func ignoreConfigured() throws {
        let environment = [
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1001", "AWS_ENDPOINT_URL": "http://127.0.0.1:1002",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE",
        ]
        let profile = ["endpoint_url": "http://127.0.0.1:1003", "region": "eu-west-1"]
        #expect(try resolve(environment, profile).endpoint.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(
            try resolve([:], profile.merging(["ignore_configured_endpoint_urls": "true"]) { $1 }).endpoint.url
                == "https://sts.eu-west-1.amazonaws.com/")
        // The environment wins over the profile key, as for every setting.
        #expect(
            try resolve(
                ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"],
                profile.merging(["ignore_configured_endpoint_urls": "true"]) { $1 }
            ).endpoint.url == "http://127.0.0.1:1003/")
    }

    @Test("sts_regional_endpoints = legacy uses the global endpoint, signed for us-east-1, in legacy regions only")
    func legacy() throws {
        let legacy = try resolve(["AWS_STS_REGIONAL_ENDPOINTS": "legacy", "AWS_REGION": "eu-west-1"])
        #expect(legacy.endpoint.url == "https://sts.amazonaws.com/")
        #expect(legacy.region == "us-east-1")
        let fromProfile = try resolve([:], ["sts_regional_endpoints": "legacy", "region": "us-west-2"])
        #expect(fromProfile.endpoint.url == "https://sts.amazonaws.com/")
        // A region that never had the global endpoint stays regional, as in botocore.
        let newer = try resolve(["AWS_STS_REGIONAL_ENDPOINTS": "legacy", "AWS_REGION": "af-south-1"])
        #expect(newer.endpoint.url == "https://sts.af-south-1.amazonaws.com/")
        #expect(newer.region == "af-south-1")
        let regional = try resolve(["AWS_STS_REGIONAL_ENDPOINTS": "regional", "AWS_REGION": "eu-west-1"])
        #expect(regional.endpoint.url == "https://sts.eu-west-1.amazonaws.com/")
        let global = try resolve(["AWS_REGION": "aws-global"])
        #expect(global.endpoint.url == "https://sts.amazonaws.com/")
        #expect(global.region == "us-east-1")
        // A configured endpoint wins over legacy.
        let configured = try resolve(["AWS_STS_REGIONAL_ENDPOINTS": "legacy", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        #expect(configured.endpoint.url == "http://127.0.0.1:9/")
    }

    @Test("endpoint URLs: default ports dropped from the signed host, paths kept, IPv6 literals")
    func urlShapes() throws {
        #expect(STSEndpoint(url: "https://STS.example.com:443", source: "x")?.host == "sts.example.com")
        #expect(STSEndpoint(url: "http://example.com:80/", source: "x")?.host == "example.com")
        #expect(STSEndpoint(url: "http://example.com:8080", source: "x")?.host == "example.com:8080")
        let withPath = try #require(STSEndpoint(url: "http://127.0.0.1:5000/sts", source: "x"))
        #expect(withPath.url == "http://127.0.0.1:5000/sts")
        #expect(withPath.path == "/sts")
        #expect(withPath.description == "http://127.0.0.1:5000")
        #expect(STSEndpoint(url: "http://[::1]:5000", source: "x")?.host == "[::1]:5000")
        #expect(STSEndpoint(url: "https://[::1]:443/", source: "x")?.host == "[::1]")
    }

    @Test("unusable endpoint URLs are configuration errors quoting the value and naming the setting")
    func badEndpoints() {
        for url in [
            "sts.amazonaws.com", "ftp://sts.amazonaws.com", "https://", "https://user:pw@host", "https://h/?a=b",
            "https://h/#x", "https://h:99999", "https://h:port", "http://h x", "https://[::1", "http://:80",
        ] {
            #expect(throws: STSError.self, "\(url)") { try resolve(["AWS_ENDPOINT_URL_STS": url]) }
            do {
                _ = try resolve(["AWS_ENDPOINT_URL_STS": url])
            } catch {
                #expect(error.category == .configuration)
                #expect(error.problem.hasPrefix("invalid value '"))
                #expect(error.problem.contains("for AWS_ENDPOINT_URL_STS: expected an http:// or https:// URL"))
            }
        }
    }

    @Test("bad regions and sts_regional_endpoints values are configuration errors")
    func badValues() {
        #expect(
            throws: STSError.invalidSetting(
                name: "AWS_REGION", value: "eu west", expected: "a region name such as eu-west-1"
            )
        ) { try resolve(["AWS_REGION": "eu west"]) }
        #expect(
            throws: STSError.invalidSetting(
                name: "region in profile 'hop'", value: "evil.com/x", expected: "a region name such as eu-west-1"
            )
        ) { try resolve([:], ["region": "evil.com/x"]) }
        #expect(
            throws: STSError.invalidSetting(
                name: "sts_regional_endpoints in profile 'hop'", value: "Legacy", expected: "regional or legacy"
            )
        ) { try resolve([:], ["sts_regional_endpoints": "Legacy"]) }
        #expect(throws: STSError.self) { try resolve(["AWS_REGION": "-eu"]) }
    }

    @Test("the CA bundle comes from AWS_CA_BUNDLE, then ca_bundle, and must be readable")
    func caBundle() throws {
        #expect(
            try resolve(["AWS_CA_BUNDLE": "/etc/hostname"], ["ca_bundle": "/etc/passwd"]).caBundlePath
                == "/etc/hostname")
        #expect(try resolve([:], ["ca_bundle": "/etc/passwd"]).caBundlePath == "/etc/passwd")
        #expect(try resolve(["AWS_CA_BUNDLE": "/etc/hostname"]).caBundleSource == "AWS_CA_BUNDLE")
        #expect(try resolve([:], ["ca_bundle": "/etc/passwd"]).caBundleSource == "ca_bundle in profile 'hop'")
        #expect(try resolve([:]).caBundleSource == nil)
        #expect(
            throws: STSError.invalidSetting(
                name: "AWS_CA_BUNDLE", value: "/nonexistent/ca.pem", expected: "a readable PEM file"
            )
        ) { try resolve(["AWS_CA_BUNDLE": "/nonexistent/ca.pem"]) }
    }
}
